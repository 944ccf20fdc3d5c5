import { builder } from './builder.ts';
import './types/common.ts';
import './types/buyer.ts';
import './types/user.ts';
import './types/linked-account.ts';
import './types/status-change.ts';

export const schema = builder.toSchema({ sortSchema: false });
