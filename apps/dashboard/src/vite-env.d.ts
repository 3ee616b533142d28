/// <reference types="vite/client" />

// The variables src/config/index.ts reads; all optional.
interface ImportMetaEnv {
  readonly VITE_API_BASE_URL?: string;
  readonly VITE_HEALTH_POLL_MS?: string;
  readonly VITE_PIPELINE_POLL_MS?: string;
  readonly VITE_PAGE_SIZE?: string;
  readonly VITE_FLEET_POLL_MS?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
