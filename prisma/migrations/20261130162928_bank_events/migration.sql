-- AlterTable
ALTER TABLE "authorisations" ADD COLUMN     "provider_reference" TEXT;

-- CreateTable
CREATE TABLE "bank_events" (
    "webhook_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "buyer_id" UUID NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bank_events_pkey" PRIMARY KEY ("webhook_id")
);

-- CreateIndex
CREATE INDEX "bank_events_applied_at_idx" ON "bank_events"("applied_at");
