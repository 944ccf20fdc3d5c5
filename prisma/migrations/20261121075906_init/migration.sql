-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'CREATOR', 'CONTROLLER');

-- CreateEnum
CREATE TYPE "Currency" AS ENUM ('GBP', 'EUR');

-- CreateEnum
CREATE TYPE "SupplierType" AS ENUM ('PERSONAL', 'BUSINESS');

-- CreateEnum
CREATE TYPE "LinkedAccountStatus" AS ENUM ('LINKED', 'UNLINKED');

-- CreateEnum
CREATE TYPE "PaymentRunStatus" AS ENUM ('QUEUED', 'INVALID', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED', 'PENDING_FUNDING', 'EXECUTING', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED');

-- CreateEnum
CREATE TYPE "PayableStatus" AS ENUM ('QUEUED', 'PENDING_CONFIRMATION', 'PENDING_CHALLENGE', 'SCA_FAILED', 'PENDING_FUNDING', 'AWAITING_FUNDS', 'EXECUTING', 'COMPLETED', 'FAILED', 'RETURNED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "FundingGroupStatus" AS ENUM ('PENDING_FUNDING', 'AWAITING_FUNDS', 'EXECUTING', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'CANCELLED');

-- CreateEnum
CREATE TYPE "BatchStatus" AS ENUM ('OPEN', 'USER_INITIATION_IN_PROGRESS', 'PROCESSING', 'CANCELLING', 'PROCESSED');

-- CreateEnum
CREATE TYPE "AuthorisationStatus" AS ENUM ('CREATED', 'USER_AUTHORISING', 'BANK_AUTHORISING', 'AWAITING_MULTI_AUTH', 'PROCESSED', 'FAILED', 'CANCELLED', 'TIMED_OUT');

-- CreateEnum
CREATE TYPE "EntityType" AS ENUM ('PAYMENT_RUN', 'FUNDING_GROUP', 'PAYABLE', 'BATCH', 'AUTHORISATION');

-- CreateEnum
CREATE TYPE "IdempotencyState" AS ENUM ('IN_PROGRESS', 'COMPLETED');

-- CreateTable
CREATE TABLE "buyers" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "supported_currencies" "Currency"[],
    "require_dual_control" BOOLEAN NOT NULL DEFAULT false,
    "event_seq" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "buyers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "roles" "Role"[],
    "sca_enrolled" BOOLEAN NOT NULL DEFAULT false,
    "sca_enrolment_started_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "institutions" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "currency" "Currency" NOT NULL,
    "max_funding_amount" BIGINT NOT NULL,
    "max_batch_size" INTEGER NOT NULL,
    "requires_multi_auth" BOOLEAN NOT NULL,

    CONSTRAINT "institutions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "linked_accounts" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "institution_id" UUID NOT NULL,
    "friendly_name" TEXT,
    "currency" "Currency" NOT NULL,
    "status" "LinkedAccountStatus" NOT NULL DEFAULT 'LINKED',
    "account_number" TEXT,
    "sort_code" TEXT,
    "secondary_reference" TEXT,
    "iban" TEXT,
    "bank_identifier_code" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "linked_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_runs" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "payment_run_ref" TEXT,
    "tag" TEXT,
    "description" TEXT,
    "status" "PaymentRunStatus" NOT NULL DEFAULT 'QUEUED',
    "status_reason" TEXT,
    "currency" "Currency" NOT NULL,
    "total_amount" BIGINT NOT NULL,
    "payable_count" INTEGER NOT NULL,
    "created_by_id" UUID NOT NULL,
    "confirmed_by_id" UUID,
    "challenge_expires_at" TIMESTAMPTZ(3),
    "challenge_attempts_remaining" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payment_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payables" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "payment_run_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "PayableStatus" NOT NULL DEFAULT 'QUEUED',
    "status_reason" TEXT,
    "external_ref" TEXT,
    "payment_ref" TEXT,
    "currency" "Currency" NOT NULL,
    "amount" BIGINT NOT NULL,
    "reference" TEXT NOT NULL,
    "supplier_name" TEXT NOT NULL,
    "supplier_address" TEXT,
    "supplier_bank_name" TEXT,
    "supplier_bank_address" TEXT,
    "supplier_bank_country" TEXT,
    "supplier_type" "SupplierType",
    "account_number" TEXT,
    "sort_code" TEXT,
    "secondary_reference" TEXT,
    "iban" TEXT,
    "bank_identifier_code" TEXT,
    "validation_outcomes" JSONB NOT NULL DEFAULT '[]',
    "funding_group_id" UUID,
    "batch_id" UUID,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payables_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "funding_groups" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "payment_run_id" UUID NOT NULL,
    "linked_account_id" UUID NOT NULL,
    "reference" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "FundingGroupStatus" NOT NULL DEFAULT 'PENDING_FUNDING',
    "currency" "Currency" NOT NULL,
    "total_amount" BIGINT NOT NULL,
    "payable_count" INTEGER NOT NULL,
    "funding_date" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "funding_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batches" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "payment_run_id" UUID NOT NULL,
    "funding_group_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "BatchStatus" NOT NULL DEFAULT 'OPEN',
    "currency" "Currency" NOT NULL,
    "payable_count" INTEGER NOT NULL,
    "total_amount" BIGINT NOT NULL,
    "cancellation_pending" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "authorisations" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "payment_run_id" UUID NOT NULL,
    "batch_id" UUID NOT NULL,
    "status" "AuthorisationStatus" NOT NULL DEFAULT 'CREATED',
    "initiated_by_id" UUID NOT NULL,
    "redirect_url" TEXT,
    "failure_reason" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "authorisations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "status_changes" (
    "id" BIGSERIAL NOT NULL,
    "buyer_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "entity_type" "EntityType" NOT NULL,
    "entity_id" UUID NOT NULL,
    "payment_run_id" UUID NOT NULL,
    "from_status" TEXT,
    "to_status" TEXT NOT NULL,
    "actor_id" UUID,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "status_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_relay_positions" (
    "buyer_id" UUID NOT NULL,
    "published_seq" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "event_relay_positions_pkey" PRIMARY KEY ("buyer_id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "ref" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "state" "IdempotencyState" NOT NULL DEFAULT 'IN_PROGRESS',
    "response" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "users_buyer_id_idx" ON "users"("buyer_id");

-- CreateIndex
CREATE UNIQUE INDEX "institutions_code_key" ON "institutions"("code");

-- CreateIndex
CREATE INDEX "linked_accounts_buyer_id_status_idx" ON "linked_accounts"("buyer_id", "status");

-- CreateIndex
CREATE INDEX "payment_runs_buyer_id_id_idx" ON "payment_runs"("buyer_id", "id" DESC);

-- CreateIndex
CREATE INDEX "payment_runs_buyer_id_status_idx" ON "payment_runs"("buyer_id", "status");

-- CreateIndex
CREATE INDEX "payment_runs_buyer_id_tag_idx" ON "payment_runs"("buyer_id", "tag");

-- CreateIndex
CREATE INDEX "payment_runs_status_challenge_expires_at_idx" ON "payment_runs"("status", "challenge_expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "payment_runs_buyer_id_payment_run_ref_key" ON "payment_runs"("buyer_id", "payment_run_ref");

-- CreateIndex
CREATE INDEX "payables_payment_run_id_status_idx" ON "payables"("payment_run_id", "status");

-- CreateIndex
CREATE INDEX "payables_funding_group_id_position_idx" ON "payables"("funding_group_id", "position");

-- CreateIndex
CREATE INDEX "payables_batch_id_position_idx" ON "payables"("batch_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "payables_payment_run_id_position_key" ON "payables"("payment_run_id", "position");

-- CreateIndex
CREATE INDEX "funding_groups_payment_run_id_position_idx" ON "funding_groups"("payment_run_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "funding_groups_payment_run_id_reference_key" ON "funding_groups"("payment_run_id", "reference");

-- CreateIndex
CREATE INDEX "batches_funding_group_id_position_idx" ON "batches"("funding_group_id", "position");

-- CreateIndex
CREATE INDEX "batches_payment_run_id_idx" ON "batches"("payment_run_id");

-- CreateIndex
CREATE INDEX "authorisations_batch_id_created_at_idx" ON "authorisations"("batch_id", "created_at");

-- CreateIndex
CREATE INDEX "authorisations_status_expires_at_idx" ON "authorisations"("status", "expires_at");

-- CreateIndex
CREATE INDEX "status_changes_buyer_id_payment_run_id_seq_idx" ON "status_changes"("buyer_id", "payment_run_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "status_changes_buyer_id_seq_key" ON "status_changes"("buyer_id", "seq");

-- CreateIndex
CREATE INDEX "idempotency_records_expires_at_idx" ON "idempotency_records"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_records_user_id_ref_key" ON "idempotency_records"("user_id", "ref");

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "buyers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "linked_accounts" ADD CONSTRAINT "linked_accounts_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "buyers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "linked_accounts" ADD CONSTRAINT "linked_accounts_institution_id_fkey" FOREIGN KEY ("institution_id") REFERENCES "institutions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_runs" ADD CONSTRAINT "payment_runs_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "buyers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_runs" ADD CONSTRAINT "payment_runs_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_runs" ADD CONSTRAINT "payment_runs_confirmed_by_id_fkey" FOREIGN KEY ("confirmed_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payables" ADD CONSTRAINT "payables_payment_run_id_fkey" FOREIGN KEY ("payment_run_id") REFERENCES "payment_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payables" ADD CONSTRAINT "payables_funding_group_id_fkey" FOREIGN KEY ("funding_group_id") REFERENCES "funding_groups"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payables" ADD CONSTRAINT "payables_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "funding_groups" ADD CONSTRAINT "funding_groups_payment_run_id_fkey" FOREIGN KEY ("payment_run_id") REFERENCES "payment_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "funding_groups" ADD CONSTRAINT "funding_groups_linked_account_id_fkey" FOREIGN KEY ("linked_account_id") REFERENCES "linked_accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_payment_run_id_fkey" FOREIGN KEY ("payment_run_id") REFERENCES "payment_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_funding_group_id_fkey" FOREIGN KEY ("funding_group_id") REFERENCES "funding_groups"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "authorisations" ADD CONSTRAINT "authorisations_payment_run_id_fkey" FOREIGN KEY ("payment_run_id") REFERENCES "payment_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "authorisations" ADD CONSTRAINT "authorisations_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "authorisations" ADD CONSTRAINT "authorisations_initiated_by_id_fkey" FOREIGN KEY ("initiated_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "status_changes" ADD CONSTRAINT "status_changes_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_relay_positions" ADD CONSTRAINT "event_relay_positions_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "buyers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
