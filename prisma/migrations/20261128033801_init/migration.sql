-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "version_status" AS ENUM ('ready', 'archived');

-- CreateEnum
CREATE TYPE "artifact_kind" AS ENUM ('original', 'variant', 'dataset');

-- CreateEnum
CREATE TYPE "artifact_format" AS ENUM ('onnx', 'npz');

-- CreateEnum
CREATE TYPE "dataset_purpose" AS ENUM ('calibration', 'evaluation');

-- CreateTable
CREATE TABLE "organizations" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "models" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "description" TEXT,
    "labels" TEXT[],
    "preprocessing" JSONB,
    "next_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_versions" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "semver" TEXT,
    "notes" TEXT,
    "status" "version_status" NOT NULL DEFAULT 'ready',
    "created_by" TEXT,
    "inspection" JSONB NOT NULL,
    "artifact_id" UUID NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifacts" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "kind" "artifact_kind" NOT NULL,
    "format" "artifact_format" NOT NULL,
    "storage_key" TEXT NOT NULL,
    "byte_size" BIGINT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "artifacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "datasets" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "purpose" "dataset_purpose" NOT NULL,
    "sample_count" INTEGER NOT NULL,
    "has_labels" BOOLEAN NOT NULL,
    "arrays" JSONB NOT NULL,
    "artifact_id" UUID NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "organizations_slug_key" ON "organizations"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "models_org_id_name_key" ON "models"("org_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_artifact_id_key" ON "model_versions"("artifact_id");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_model_id_number_key" ON "model_versions"("model_id", "number");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_model_id_semver_key" ON "model_versions"("model_id", "semver");

-- CreateIndex
CREATE INDEX "artifacts_storage_key_idx" ON "artifacts"("storage_key");

-- CreateIndex
CREATE INDEX "artifacts_sha256_idx" ON "artifacts"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "datasets_artifact_id_key" ON "datasets"("artifact_id");

-- CreateIndex
CREATE UNIQUE INDEX "datasets_model_id_name_key" ON "datasets"("model_id", "name");

-- AddForeignKey
ALTER TABLE "models" ADD CONSTRAINT "models_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_artifact_id_fkey" FOREIGN KEY ("artifact_id") REFERENCES "artifacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_artifact_id_fkey" FOREIGN KEY ("artifact_id") REFERENCES "artifacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Seed: the organization everything belongs to until accounts arrive.
INSERT INTO "organizations" ("id", "slug", "name", "updated_at")
VALUES ('00000000-0000-4000-8000-000000000001', 'default', 'Default organization', CURRENT_TIMESTAMP);
