import { checkIdCursors, pageSize } from './pagination.ts';
import { builder } from '../builder.ts';
import { encodeGlobalId } from '../ids.ts';

export const AuditEvent = builder.prismaObject('AuditEvent', {
  description: 'One entry of the buyer\'s audit trail (append-only, written in the transaction of what it records).',
  fields: (t) => ({
    id: t.id({ resolve: (e) => encodeGlobalId('AuditEvent', e.id) }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
    action: t.exposeString('action'),
    actor: t.relation('actor', { nullable: true, description: 'Null for the operator and for failed sign-ins.' }),
    apiKey: t.relation('apiKey', { nullable: true, description: 'The key the actor acted through, if any.' }),
    targetId: t.id({
      nullable: true,
      description: 'Global id of the object acted on.',
      resolve: (e) => (e.targetType && e.targetId ? encodeGlobalId(e.targetType, e.targetId) : null),
    }),
    details: t.exposeString('details', {
      nullable: true,
      description: 'JSON text. Account numbers, IBANs and sort codes keep only their last 4 characters.',
    }),
  }),
});

const auditWhere = (actions: readonly string[] | null | undefined) => (actions?.length ? { action: { in: [...actions] } } : {});

builder.queryFields((t) => ({
  auditEvents: t.prismaConnection(
    {
      type: 'AuditEvent',
      cursor: 'id',
      description: 'ADMIN: the buyer\'s audit trail, newest first, optionally only some actions.',
      authScopes: { admin: true },
      args: { actions: t.arg.stringList({ required: false }) },
      resolve: (query, _root, args, ctx) => {
        pageSize(args.first);
        checkIdCursors(args);
        return ctx.db!.auditEvent.findMany({ ...query, where: auditWhere(args.actions), orderBy: { id: 'desc' } });
      },
      totalCount: (_root, args, ctx) => ctx.db!.auditEvent.count({ where: auditWhere(args.actions) }),
    },
    { name: 'AuditEventConnection' },
  ),
}));
