# Obrol, an IRC server, as a container image.
#
#   docker build -t obrol .
#   docker run -d --name obrol -p 6667:6667 -p 8097:8097 obrol
#     (then the chat page is at http://127.0.0.1:8097/)
#   docker run -d --name obrol -p 6667:6667 \
#     -v "$PWD/my-obrol.yaml:/etc/obrol/obrol.yaml:ro" obrol
#
# Configuration: the server reads /etc/obrol/obrol.yaml (OBROL_CONFIG points
# at it). The image ships a default one there, a copy of the documented
# conf/obrol.yaml with conf/motd.txt next to it, so the server starts with
# nothing mounted. Mount your own file over it (or a whole folder over
# /etc/obrol, with the MOTD file the config names). A relative motd_file is
# read from the config file's folder. Environment variables override the
# file: OBROL_SECTION__KEY, e.g. -e OBROL_SERVER__NAME=irc.example.org.
# OBROL_LISTEN__HOST=0.0.0.0 and OBROL_WEBSOCKET__HOST=0.0.0.0 are set here
# so the server listens on every interface of the container (IRC on 6667,
# WebSocket and the chat page on 8097); the HEALTHCHECK follows
# OBROL_LISTEN__PORT if you change the port that way. A mounted config with
# `websocket: null` turns the WebSocket listener and the page off.
#
# Check a config before mounting it:
#   docker run --rm -v "$PWD/my-obrol.yaml:/etc/obrol/obrol.yaml:ro" obrol \
#     node dist/cli/main.js check-config
# Make an oper password hash:
#   echo 'secret' | docker run --rm -i obrol node dist/cli/main.js hash-password
#
# Data: accounts, channel registrations and history are kept in the SQLite
# file /data/obrol.db (OBROL_STORE__PATH), on the /data volume. Name the
# volume to keep it across containers: -v obrol-data:/data. A copy while
# the server runs: docker exec obrol node dist/cli/main.js backup /data/copy.db
#
# Reload the config without dropping anyone: docker kill -s HUP obrol
# Stop gracefully (clients get "Server shutting down"): docker stop -t 10 obrol

# ---- build: all dependencies, compile TypeScript to dist/, the page to dist/web/
FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3's native module is compiled here (node-gyp needs python3, make
# and g++), against the image's own Node headers, with nothing downloaded; the
# runtime stage copies the one file it makes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
# npm ci also runs the package's install script: it builds the native socket
# transport (native/transport.cc) with the same node-gyp and headers.
RUN npm ci --no-audit --no-fund && test -f build/Release/obrol_transport.node
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
# (tsc's incremental build info is not needed at run time)
RUN npm run build && rm -f dist/.tsbuildinfo

# ---- runtime: production dependencies, dist/ and conf/, as user node --------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    OBROL_CONFIG=/etc/obrol/obrol.yaml \
    OBROL_LISTEN__HOST=0.0.0.0 \
    OBROL_WEBSOCKET__HOST=0.0.0.0 \
    OBROL_STORE__PATH=/data/obrol.db
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# (install scripts are skipped above: this is better-sqlite3's build, same base image)
COPY --from=build /src/node_modules/better-sqlite3/build/Release/better_sqlite3.node ./node_modules/better-sqlite3/build/Release/
# The native socket transport (listen.transport: auto takes it).
COPY --from=build /src/build/Release/obrol_transport.node ./build/Release/
COPY --from=build /src/dist ./dist
COPY conf ./conf
# The default config at the documented mount path (root-owned, read-only to node).
COPY conf/obrol.yaml conf/motd.txt /etc/obrol/
# The data folder, owned by the user the server runs as (a new named volume takes this owner).
RUN mkdir -p /data && chown node:node /data
VOLUME /data

USER node
EXPOSE 6667 8097
# Healthy when the IRC port accepts a TCP connection: it sends QUIT and exits 0;
# 1 on a refused connection or after 3 s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const s=require('net').connect(+(process.env.OBROL_LISTEN__PORT||6667),'127.0.0.1');s.setTimeout(3000);s.on('connect',()=>s.end('QUIT :healthcheck\\r\\n',()=>process.exit(0)));s.on('error',()=>process.exit(1));s.on('timeout',()=>process.exit(1))"]
# node handles SIGTERM: every client gets "ERROR :Closing link: ... [Server shutting down]", then exit 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli/main.js"]
