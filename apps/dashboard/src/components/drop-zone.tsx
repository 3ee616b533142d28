import { type DragEvent, useId, useState } from 'react';

export interface DropZoneProps {
  accept: string;
  label: string;
  file: File | null;
  onFile: (file: File | null) => void;
  disabled?: boolean;
}

/** Drag a file onto the zone, or use the file input inside it (keyboard and touch users). */
export function DropZone({ accept, label, file, onFile, disabled }: DropZoneProps) {
  const [over, setOver] = useState(false);
  const inputId = useId();
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    const dropped = e.dataTransfer.files[0];
    if (dropped) onFile(dropped);
  };
  return (
    <div
      className={`drop-zone${over ? ' over' : ''}${disabled ? ' disabled' : ''}`}
      data-testid="drop-zone"
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p>{file ? <strong>{file.name}</strong> : `Drop ${label} here, or`}</p>
      <label htmlFor={inputId} className="file-label">
        {file ? 'Choose another file' : 'choose a file'}
      </label>
      <input id={inputId} type="file" accept={accept} disabled={disabled} aria-label={`${label} file`} onChange={(e) => onFile(e.target.files?.[0] ?? null)} />
    </div>
  );
}
