-- Hardening (issue 8): idempotency leases, restart and enrolment attempt limits, login throttles,
-- parked background rows. Written by hand (the WASM diff engine refuses --from-url here); it matches
-- prisma/schema.prisma.

-- AlterTable
ALTER TABLE "idempotency_records" ADD COLUMN "lease_until" TIMESTAMPTZ(3),
ADD COLUMN "effects" JSONB;

-- AlterTable
ALTER TABLE "payment_runs" ADD COLUMN "restart_count" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "users" ADD COLUMN "sca_enrolment_failures" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "login_throttles" (
    "email" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "window_starts_at" TIMESTAMPTZ(3) NOT NULL,
    "locked_until" TIMESTAMPTZ(3),

    CONSTRAINT "login_throttles_pkey" PRIMARY KEY ("email")
);

-- CreateTable
CREATE TABLE "job_failures" (
    "task" TEXT NOT NULL,
    "row_id" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "parked_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_failures_pkey" PRIMARY KEY ("task","row_id")
);

-- CreateIndex
CREATE INDEX "job_failures_task_parked_at_idx" ON "job_failures"("task", "parked_at");
