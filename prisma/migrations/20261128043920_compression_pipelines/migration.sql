-- CreateEnum
CREATE TYPE "pipeline_status" AS ENUM ('queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "pipeline_job_status" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "pipeline_runs" (
    "id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "status" "pipeline_status" NOT NULL DEFAULT 'queued',
    "trigger" TEXT NOT NULL,
    "requested_by" TEXT,
    "recipe_overrides" JSONB,
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "pipeline_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pipeline_jobs" (
    "id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "profile_id" UUID NOT NULL,
    "status" "pipeline_job_status" NOT NULL DEFAULT 'queued',
    "step" TEXT,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "pipeline_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "variants" (
    "id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "profile_id" UUID NOT NULL,
    "run_id" UUID,
    "recipe_id" TEXT NOT NULL,
    "recipe" JSONB NOT NULL,
    "precision" TEXT NOT NULL,
    "artifact_id" UUID NOT NULL,
    "evaluation" JSONB NOT NULL,
    "reports" JSONB NOT NULL,
    "verdict" TEXT NOT NULL,
    "verdict_reasons" TEXT[],
    "judged_on" TEXT NOT NULL,
    "on_pareto_front" BOOLEAN NOT NULL,
    "recommended" BOOLEAN NOT NULL,
    "manifest" JSONB NOT NULL,
    "signature" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "variants_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "pipeline_runs_version_id_created_at_idx" ON "pipeline_runs"("version_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "pipeline_jobs_run_id_profile_id_key" ON "pipeline_jobs"("run_id", "profile_id");

-- CreateIndex
CREATE UNIQUE INDEX "variants_artifact_id_key" ON "variants"("artifact_id");

-- CreateIndex
CREATE UNIQUE INDEX "variants_version_id_profile_id_recipe_id_key" ON "variants"("version_id", "profile_id", "recipe_id");

-- AddForeignKey
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pipeline_jobs" ADD CONSTRAINT "pipeline_jobs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pipeline_jobs" ADD CONSTRAINT "pipeline_jobs_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "hardware_profiles"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "variants" ADD CONSTRAINT "variants_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "variants" ADD CONSTRAINT "variants_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "hardware_profiles"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "variants" ADD CONSTRAINT "variants_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "pipeline_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "variants" ADD CONSTRAINT "variants_artifact_id_fkey" FOREIGN KEY ("artifact_id") REFERENCES "artifacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

