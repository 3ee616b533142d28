-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "last_error" JSONB;

