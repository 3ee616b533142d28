import { type FormEvent, useState } from 'react';
import { errorMessage } from '../api/client';
import { useUploadDataset } from '../api/queries';
import { DATASET_PURPOSES, type DatasetFormInput, validateDatasetForm } from '../lib/validation';
import { DropZone } from './drop-zone';
import { ProgressBar } from './progress-bar';
import { useUploadForm } from './use-upload-form';

export function UploadDatasetForm({ modelId }: { modelId: string }) {
  const upload = useUploadDataset(modelId);
  const [input, setInput] = useState<DatasetFormInput>({ file: null, name: '', purpose: 'evaluation' });
  const { errors, progress, submit: startUpload } = useUploadForm(validateDatasetForm, upload.mutate);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    startUpload(input, () => setInput({ file: null, name: '', purpose: input.purpose }));
  };

  return (
    <form className="card form" onSubmit={submit} noValidate aria-label="upload dataset">
      <h3 className="wide">Upload a dataset</h3>
      <div className="wide">
        <DropZone
          accept=".npz"
          label="an .npz dataset"
          file={input.file}
          disabled={upload.isPending}
          onFile={(file) => setInput({ ...input, file, name: input.name || (file?.name.replace(/\.npz$/i, '') ?? '') })}
        />
        {errors.file && <span className="field-error">{errors.file}</span>}
      </div>
      <label>
        Name
        <input value={input.name} onChange={(e) => setInput({ ...input, name: e.target.value })} aria-invalid={!!errors.name} />
        {errors.name && <span className="field-error">{errors.name}</span>}
      </label>
      <label>
        Purpose
        <select value={input.purpose} onChange={(e) => setInput({ ...input, purpose: e.target.value })}>
          {DATASET_PURPOSES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      {progress && (
        <div className="wide">
          <ProgressBar value={progress.fraction} label="dataset upload progress" />
        </div>
      )}
      {upload.isError && (
        <div className="error-box wide" role="alert">
          {errorMessage(upload.error)}
        </div>
      )}
      {upload.isSuccess && <p className="ok wide">Dataset “{upload.data.name}” stored: {upload.data.sampleCount} samples.</p>}
      <div className="actions wide">
        <button type="submit" className="primary" disabled={upload.isPending}>
          {upload.isPending ? 'Uploading…' : 'Upload dataset'}
        </button>
      </div>
    </form>
  );
}
