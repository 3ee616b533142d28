-- CreateTable
CREATE TABLE "device_events" (
    "id" BIGSERIAL NOT NULL,
    "org_id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "actor" TEXT,
    "version_id" UUID,
    "from_version_id" UUID,
    "message" TEXT,
    "data" JSONB,

    CONSTRAINT "device_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "device_events_device_id_at_idx" ON "device_events"("device_id", "at");

-- CreateIndex
CREATE INDEX "rollout_events_device_id_at_idx" ON "rollout_events"("device_id", "at");

-- AddForeignKey
ALTER TABLE "device_events" ADD CONSTRAINT "device_events_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

