-- CreateTable
CREATE TABLE "hardware_profiles" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "precisions" TEXT[],
    "optimization_level" TEXT NOT NULL,
    "threads" INTEGER NOT NULL,
    "max_model_bytes" BIGINT,
    "max_latency_ms" DOUBLE PRECISION,
    "accuracy_budget" JSONB NOT NULL,
    "objective" TEXT NOT NULL DEFAULT 'latency',
    "builtin" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "hardware_profiles_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "hardware_profiles_org_id_slug_key" ON "hardware_profiles"("org_id", "slug");

-- AddForeignKey
ALTER TABLE "hardware_profiles" ADD CONSTRAINT "hardware_profiles_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

