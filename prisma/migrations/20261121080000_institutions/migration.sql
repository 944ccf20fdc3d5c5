-- Reference data (CONTRACT.md §4 "Institutions"): present in every database.
INSERT INTO "institutions" ("id", "code", "display_name", "currency", "max_funding_amount", "max_batch_size", "requires_multi_auth") VALUES
  ('01937a00-0000-7000-8000-000000000001', 'SANDBOX_BANK_GB', 'Sandbox Bank (GB)', 'GBP', 100000000, 100, false),
  ('01937a00-0000-7000-8000-000000000002', 'LIMITED_BANK_GB', 'Limited Bank (GB)', 'GBP', 2500000, 10, false),
  ('01937a00-0000-7000-8000-000000000003', 'MULTI_AUTH_BANK_GB', 'Multi-Auth Bank (GB)', 'GBP', 100000000, 50, true),
  ('01937a00-0000-7000-8000-000000000004', 'SANDBOX_BANK_EU', 'Sandbox Bank (EU)', 'EUR', 100000000, 100, false);
