import { builder } from './builder.ts';
import './types/common.ts';
import './types/buyer.ts';
import './types/user.ts';
import './types/linked-account.ts';
import './types/status-change.ts';
import './types/webhook.ts';
import './types/payable.ts';
import './types/payment-run.ts';
import './types/payment-run.operations.ts';
import './types/funding.ts';
import './types/funding.operations.ts';

export const schema = builder.toSchema({ sortSchema: false });
