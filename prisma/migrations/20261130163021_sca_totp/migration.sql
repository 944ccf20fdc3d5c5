-- AlterTable
ALTER TABLE "users" ADD COLUMN     "sca_last_used_step" INTEGER,
ADD COLUMN     "sca_pending_secret" TEXT,
ADD COLUMN     "sca_secret" TEXT;
