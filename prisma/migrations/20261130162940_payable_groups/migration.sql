-- CreateEnum
CREATE TYPE "PayableGroupStatus" AS ENUM ('OPEN', 'USER_INITIATION_IN_PROGRESS', 'PROCESSING', 'CANCELLING', 'PROCESSED');

-- AlterEnum
ALTER TYPE "EntityType" ADD VALUE 'PAYABLE_GROUP';

-- AlterTable
ALTER TABLE "payment_runs" ADD COLUMN     "bundle_by_supplier" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "payables" ADD COLUMN     "payable_group_id" UUID;

-- CreateTable
CREATE TABLE "payable_groups" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "payment_run_id" UUID NOT NULL,
    "funding_group_id" UUID NOT NULL,
    "batch_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "reference" TEXT NOT NULL,
    "status" "PayableGroupStatus" NOT NULL DEFAULT 'OPEN',
    "currency" "Currency" NOT NULL,
    "total_amount" BIGINT NOT NULL,
    "payable_count" INTEGER NOT NULL,
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
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payable_groups_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payable_groups_batch_id_position_idx" ON "payable_groups"("batch_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "payable_groups_payment_run_id_position_key" ON "payable_groups"("payment_run_id", "position");

-- CreateIndex
CREATE INDEX "payables_payable_group_id_position_idx" ON "payables"("payable_group_id", "position");

-- AddForeignKey
ALTER TABLE "payables" ADD CONSTRAINT "payables_payable_group_id_fkey" FOREIGN KEY ("payable_group_id") REFERENCES "payable_groups"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payable_groups" ADD CONSTRAINT "payable_groups_payment_run_id_fkey" FOREIGN KEY ("payment_run_id") REFERENCES "payment_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payable_groups" ADD CONSTRAINT "payable_groups_funding_group_id_fkey" FOREIGN KEY ("funding_group_id") REFERENCES "funding_groups"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payable_groups" ADD CONSTRAINT "payable_groups_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
