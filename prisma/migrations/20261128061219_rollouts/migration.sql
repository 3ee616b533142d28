-- AlterTable
ALTER TABLE "device_assignments" ADD COLUMN     "previous_version_id" UUID,
ADD COLUMN     "rollout_id" UUID,
ADD COLUMN     "shadow_sample_rate" DOUBLE PRECISION,
ADD COLUMN     "shadow_version_id" UUID;

-- CreateTable
CREATE TABLE "rollouts" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "target" JSONB NOT NULL,
    "strategy" JSONB NOT NULL,
    "gates" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "current_wave" INTEGER NOT NULL DEFAULT 0,
    "reason" TEXT,
    "note" TEXT,
    "created_by" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollout_waves" (
    "rollout_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "percent" DOUBLE PRECISION NOT NULL,
    "phase" TEXT NOT NULL DEFAULT 'pending',
    "started_at" TIMESTAMP(3),
    "switched_at" TIMESTAMP(3),
    "bake_until" TIMESTAMP(3),
    "inconclusive_since" TIMESTAMP(3),
    "verdict" JSONB,

    CONSTRAINT "rollout_waves_pkey" PRIMARY KEY ("rollout_id","index")
);

-- CreateTable
CREATE TABLE "rollout_devices" (
    "rollout_id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "wave" INTEGER,
    "state" TEXT NOT NULL,
    "previous_version_id" UUID,
    "skip_reason" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "rollout_devices_pkey" PRIMARY KEY ("rollout_id","device_id")
);

-- CreateTable
CREATE TABLE "rollout_events" (
    "id" BIGSERIAL NOT NULL,
    "rollout_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "device_id" UUID,
    "from" TEXT,
    "to" TEXT,
    "reason" TEXT,
    "data" JSONB,

    CONSTRAINT "rollout_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shadow_buckets" (
    "device_id" UUID NOT NULL,
    "candidate_version_id" UUID NOT NULL,
    "base_version_id" UUID NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "samples" INTEGER NOT NULL,
    "top1_agree" INTEGER NOT NULL,
    "cosine_sum" DOUBLE PRECISION NOT NULL,
    "candidate_errors" INTEGER NOT NULL,
    "histogram" INTEGER[],

    CONSTRAINT "shadow_buckets_pkey" PRIMARY KEY ("device_id","candidate_version_id","bucket")
);

-- CreateIndex
CREATE INDEX "rollouts_org_id_status_idx" ON "rollouts"("org_id", "status");

-- CreateIndex
CREATE INDEX "rollouts_status_idx" ON "rollouts"("status");

-- CreateIndex
CREATE INDEX "rollout_devices_device_id_idx" ON "rollout_devices"("device_id");

-- CreateIndex
CREATE INDEX "rollout_devices_rollout_id_wave_idx" ON "rollout_devices"("rollout_id", "wave");

-- CreateIndex
CREATE INDEX "rollout_events_rollout_id_id_idx" ON "rollout_events"("rollout_id", "id");

-- CreateIndex
CREATE INDEX "shadow_buckets_candidate_version_id_bucket_idx" ON "shadow_buckets"("candidate_version_id", "bucket");

-- CreateIndex
CREATE INDEX "device_assignments_rollout_id_idx" ON "device_assignments"("rollout_id");

-- AddForeignKey
ALTER TABLE "device_assignments" ADD CONSTRAINT "device_assignments_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_assignments" ADD CONSTRAINT "device_assignments_previous_version_id_fkey" FOREIGN KEY ("previous_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_assignments" ADD CONSTRAINT "device_assignments_shadow_version_id_fkey" FOREIGN KEY ("shadow_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_waves" ADD CONSTRAINT "rollout_waves_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_events" ADD CONSTRAINT "rollout_events_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shadow_buckets" ADD CONSTRAINT "shadow_buckets_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

