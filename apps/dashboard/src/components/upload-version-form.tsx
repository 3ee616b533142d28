import type { ModelVersionDto } from '@edgefleet/contracts';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../api/client';
import { useUploadVersion } from '../api/queries';
import { formatBytes } from '../lib/format';
import { validateVersionForm, type VersionFormInput } from '../lib/validation';
import { DropZone } from './drop-zone';
import { ProgressBar } from './progress-bar';
import { useUploadForm } from './use-upload-form';

export function UploadVersionForm({ modelId, onUploaded }: { modelId: string; onUploaded: (version: ModelVersionDto) => void }) {
  const upload = useUploadVersion(modelId);
  const [input, setInput] = useState<VersionFormInput>({ file: null, semver: '', notes: '' });
  const { errors, progress, submit: startUpload } = useUploadForm(validateVersionForm, upload.mutate);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    startUpload(input, (version: ModelVersionDto) => {
      setInput({ file: null, semver: '', notes: '' });
      onUploaded(version);
    });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="upload version">
      <h3 className="wide">Upload a version</h3>
      <div className="wide">
        <DropZone accept=".onnx" label="an .onnx model" file={input.file} disabled={upload.isPending} onFile={(file) => setInput({ ...input, file })} />
        {errors.file && <span className="field-error">{errors.file}</span>}
      </div>
      <label>
        Semver (optional)
        <input value={input.semver} onChange={(e) => setInput({ ...input, semver: e.target.value })} placeholder="1.0.0" aria-invalid={!!errors.semver} />
        {errors.semver && <span className="field-error">{errors.semver}</span>}
      </label>
      <label>
        Notes (optional)
        <input value={input.notes} onChange={(e) => setInput({ ...input, notes: e.target.value })} />
        {errors.notes && <span className="field-error">{errors.notes}</span>}
      </label>
      {progress && (
        <div className="wide">
          <ProgressBar value={progress.fraction} label="upload progress" />
          <span className="muted small">
            {formatBytes(progress.loaded)} of {formatBytes(progress.total)}
            {progress.fraction !== null && progress.fraction >= 1 ? ' — inspecting…' : ''}
          </span>
        </div>
      )}
      {upload.isError && (
        <div className="error-box wide" role="alert">
          {errorMessage(upload.error)}
        </div>
      )}
      <div className="actions wide">
        <button type="submit" className="primary" disabled={upload.isPending}>
          {upload.isPending ? 'Uploading…' : 'Upload'}
        </button>
      </div>
    </form>
  );
}
