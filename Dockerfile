# syntax=docker/dockerfile:1
# Two stages: `build` compiles TypeScript (and the generated Prisma client) and the dashboard with every dependency;
# `runtime` holds production dependencies, dist/ and the migrations, and runs as a non-root user.
# scripts/deploy-check.ts executes these very instructions without Docker (a test runs it), so any
# change here is exercised by `npm test`.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Sources before `npm ci`: its postinstall generates the Prisma client and builds the dashboard.
COPY package.json package-lock.json prisma.config.ts codegen.ts schema.graphql tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY src ./src
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/build-web.mjs ./scripts/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY prisma/migrations ./prisma/migrations
COPY --from=build /app/dist ./dist
# The embedded database (no DATABASE_URL) writes to /app/.data: the only folder the app may write.
RUN mkdir -p .data && chown 1000:1000 .data
# uid 1000 is the image's `node` user (numeric, so the check can run where no such user exists).
USER 1000:1000
ENV PORT=4000
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/main.js"]
