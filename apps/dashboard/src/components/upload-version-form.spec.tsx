// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeXhr } from '../test/fake-xhr';
import { renderAt } from '../test/render';
import { UploadVersionForm } from './upload-version-form';

describe(UploadVersionForm.name, () => {
  beforeEach(() => {
    FakeXhr.reset();
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"items":[],"total":0,"limit":1,"offset":0}')));
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('advances the progress bar as the XHR reports upload progress', async () => {
    const onUploaded = vi.fn();
    renderAt(<UploadVersionForm modelId="m-1" onUploaded={onUploaded} />);
    const file = new File([new Uint8Array(1000)], 'net.onnx');
    fireEvent.drop(screen.getByTestId('drop-zone'), { dataTransfer: { files: [file] } });
    expect(screen.getByText('net.onnx')).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/Semver/), { target: { value: '1.0.0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));

    const bar = await screen.findByRole('progressbar', { name: 'upload progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('0');
    const xhr = FakeXhr.last();
    expect(xhr.url).toBe('/api/models/m-1/versions');
    expect((xhr.body as FormData).get('semver')).toBe('1.0.0');

    act(() => xhr.progress(400, 1000));
    expect(screen.getByRole('progressbar', { name: 'upload progress' }).getAttribute('aria-valuenow')).toBe('40');
    act(() => xhr.progress(1000, 1000));
    expect(screen.getByRole('progressbar', { name: 'upload progress' }).getAttribute('aria-valuenow')).toBe('100');
    expect(screen.getByText(/inspecting/)).toBeTruthy();

    act(() => xhr.respond(201, { id: 'v-1', number: 1 }));
    await waitFor(() => expect(onUploaded).toHaveBeenCalledWith({ id: 'v-1', number: 1 }));
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('refuses a non-ONNX file without uploading', async () => {
    renderAt(<UploadVersionForm modelId="m-1" onUploaded={() => {}} />);
    fireEvent.change(screen.getByLabelText('an .onnx model file'), { target: { files: [new File(['x'], 'model.pt')] } });
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('the file must be an .onnx model')).toBeTruthy();
    expect(FakeXhr.instances).toHaveLength(0);
  });
});
