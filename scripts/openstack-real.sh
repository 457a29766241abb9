#!/usr/bin/env bash
# A real OpenStack (Debian's Zed: Keystone, Glance, Placement, Nova with the fake virt driver, Neutron ML2) on this
# machine, for `npm run test:openstack-real` (reference: peer-trials.md §2, environment-trials.md §10).
#
#   scripts/openstack-real.sh install   apt-get the services (≈ 4.5 min the first time; nothing when present)
#   scripts/openstack-real.sh up        start everything (DB setup and catalog only the first time), print clouds.yaml
#   scripts/openstack-real.sh down      stop what `up` started (by the PIDs it recorded)
#   scripts/openstack-real.sh status    which services answer
#
# Idempotent: state lives in $OPENSTACK_REAL_DIR (default ~/.cache/capi-fn/openstack-real), marker files record
# the one-time steps, and `up` on a running stack only checks it. Everything listens on 127.0.0.1, on ports
# from $OPENSTACK_REAL_PORT_BASE (default 25000) so nothing collides with moto (5000) or a developer's services.
# Caveats that shaped it (measured): SQLite does not work (Keystone locks, Neutron's migrations), so MariaDB;
# Neutron binds ports only through a mechanism driver with a live agent, so `openvswitch` with a fake agent row
# for the fake compute host and a 30-day agent_down_time; uwsgi needs `Connection: close` for python-requests.
set -euo pipefail

D=${OPENSTACK_REAL_DIR:-$HOME/.cache/capi-fn/openstack-real}
B=${OPENSTACK_REAL_PORT_BASE:-25000}
P_KEYSTONE=$((B + 0)) P_NOVA=$((B + 74)) P_PLACEMENT=$((B + 78)) P_GLANCE=$((B + 92)) P_NEUTRON=$((B + 96))
P_DB=$((B + 306)) P_RABBIT=$((B + 672)) P_RABBIT_DIST=$((B + 673)) P_EPMD=$((B + 369))
HOST=host-ovs-filter-active
DB="mysql+pymysql://os:os@127.0.0.1:$P_DB"
PY=/usr/bin/python3
mkdir -p "$D"/{etc/keystone,etc/glance,etc/placement,etc/nova,etc/neutron,log,run,images,state,mysql,rabbit}

log() { printf 'openstack-real: %s\n' "$*" >&2; }
running() { [ -f "$D/run/$1.pid" ] && kill -0 "$(cat "$D/run/$1.pid")" 2>/dev/null; }
start_bg() {
  local name=$1
  shift
  if running "$name"; then return; fi
  setsid "$@" >"$D/log/$name.log" 2>&1 </dev/null &
  echo $! >"$D/run/$name.pid"
}
wait_for() {
  local what=$1 tries=${2:-120}
  shift 2
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "$what did not come up; see $D/log"
  return 1
}
tcp() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http() { curl -s -o /dev/null -m 5 "http://127.0.0.1:$1/"; }
sql() { mariadb -uroot --socket="$D/mysql/mysqld.sock" "$@"; }
done_once() { [ -f "$D/state/$1.done" ]; }
mark() { touch "$D/state/$1.done"; }

PACKAGES=(keystone glance-api placement-api nova-api nova-conductor nova-scheduler nova-compute nova-compute-ironic
  neutron-server python3-openstackclient rabbitmq-server mariadb-server uwsgi-core uwsgi-plugin-python3)

install() {
  local missing=()
  for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return
  log "apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  # nova-compute-ironic satisfies nova-compute's hypervisor dependency without libvirt and qemu; Debian's
  # policy-rc.d keeps the packaged services from starting.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends "${missing[@]}"
}

auth_block() {
  cat <<EOF
www_authenticate_uri = http://127.0.0.1:$P_KEYSTONE
auth_url = http://127.0.0.1:$P_KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = admin
username = admin
password = admin
region_name = RegionOne
EOF
}

configure() {
  cat >"$D/etc/keystone/keystone.conf" <<EOF
[DEFAULT]
use_stderr = true
[database]
connection = $DB/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $D/state/fernet-keys
[fernet_receipts]
key_repository = $D/state/fernet-keys
[credential]
key_repository = $D/state/credential-keys
EOF
  cp /etc/glance/glance-api-paste.ini "$D/etc/glance/"
  cat >"$D/etc/glance/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $P_GLANCE
workers = 1
enabled_backends = file:file
use_stderr = true
[database]
connection = $DB/glance
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = $D/images
[os_glance_staging_store]
filesystem_store_datadir = $D/state/glance-staging
[os_glance_tasks_store]
filesystem_store_datadir = $D/state/glance-tasks
[paste_deploy]
flavor = keystone
[keystone_authtoken]
$(auth_block)
EOF
  cat >"$D/etc/placement/placement.conf" <<EOF
[DEFAULT]
use_stderr = true
[placement_database]
connection = $DB/placement
[api]
auth_strategy = keystone
[keystone_authtoken]
$(auth_block)
EOF
  cp /etc/nova/api-paste.ini "$D/etc/nova/"
  cat >"$D/etc/nova/nova.conf" <<EOF
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:$P_RABBIT/
compute_driver = fake.FakeDriver
my_ip = 127.0.0.1
enabled_apis = osapi_compute
use_rootwrap_daemon = false
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
state_path = $D/state/nova
use_stderr = true
[api]
auth_strategy = keystone
[api_database]
connection = $DB/nova_api
[database]
connection = $DB/nova
[glance]
api_servers = http://127.0.0.1:$P_GLANCE
[oslo_concurrency]
lock_path = $D/state/nova-locks
[scheduler]
discover_hosts_in_cells_interval = 10
[vnc]
enabled = false
[oslo_messaging_notifications]
driver = noop
[keystone_authtoken]
$(auth_block)
[placement]
$(auth_block)
[neutron]
$(auth_block)
EOF
  printf '[DEFAULT]\nhost = %s\n' "$HOST" >"$D/etc/nova/nova-compute.conf"
  cp /etc/neutron/api-paste.ini "$D/etc/neutron/"
  cat >"$D/etc/neutron/neutron.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $P_NEUTRON
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
core_plugin = ml2
service_plugins = trunk
auth_strategy = keystone
transport_url = rabbit://guest:guest@127.0.0.1:$P_RABBIT/
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
agent_down_time = 2592000
api_paste_config = $D/etc/neutron/api-paste.ini
state_path = $D/state/neutron
use_stderr = true
[database]
connection = $DB/neutron
[oslo_concurrency]
lock_path = $D/state/neutron-locks
[keystone_authtoken]
$(auth_block)
[nova]
$(auth_block)
EOF
  cat >"$D/etc/neutron/ml2_conf.ini" <<EOF
[ml2]
type_drivers = local,flat
tenant_network_types = local
mechanism_drivers = openvswitch
extension_drivers = port_security
EOF
}

start_infra() {
  if [ ! -d "$D/mysql/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$D/mysql/data" --user=root --auth-root-authentication-method=normal \
      --skip-test-db >"$D/log/mariadb-install.log" 2>&1
  fi
  start_bg mariadb mariadbd --no-defaults --datadir="$D/mysql/data" --user=root --bind-address=127.0.0.1 --port="$P_DB" \
    --socket="$D/mysql/mysqld.sock" --innodb-buffer-pool-size=64M --skip-log-bin --innodb-flush-log-at-trx-commit=0
  echo '[].' >"$D/rabbit/enabled_plugins"
  printf 'listeners.tcp.default = 127.0.0.1:%s\n' "$P_RABBIT" >"$D/rabbit/rabbitmq.conf"
  HOME=$D/rabbit RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$P_RABBIT \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$P_EPMD RABBITMQ_DIST_PORT=$P_RABBIT_DIST \
    RABBITMQ_MNESIA_BASE=$D/rabbit/mnesia RABBITMQ_LOG_BASE=$D/rabbit/log \
    RABBITMQ_ENABLED_PLUGINS_FILE=$D/rabbit/enabled_plugins RABBITMQ_CONFIG_FILE=$D/rabbit/rabbitmq \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    start_bg rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_for MariaDB 60 sql -e 'select 1'
  wait_for RabbitMQ 90 tcp "$P_RABBIT"
  ss -ltnpH "sport = :$P_EPMD" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1 >"$D/run/epmd.pid"
}

setup_databases() {
  done_once databases && return
  log 'databases and migrations (≈ 50 s)'
  for db in keystone glance placement nova_api nova nova_cell0 neutron; do sql -e "CREATE DATABASE IF NOT EXISTS $db"; done
  sql -e "CREATE USER IF NOT EXISTS 'os'@'127.0.0.1' IDENTIFIED BY 'os'; GRANT ALL ON *.* TO 'os'@'127.0.0.1'"
  local K="$D/etc/keystone/keystone.conf" N="$D/etc/nova/nova.conf"
  keystone-manage --config-file "$K" db_sync
  keystone-manage --config-file "$K" fernet_setup --keystone-user root --keystone-group root
  keystone-manage --config-file "$K" credential_setup --keystone-user root --keystone-group root
  keystone-manage --config-file "$K" bootstrap --bootstrap-password admin \
    --bootstrap-admin-url "http://127.0.0.1:$P_KEYSTONE/v3/" --bootstrap-internal-url "http://127.0.0.1:$P_KEYSTONE/v3/" \
    --bootstrap-public-url "http://127.0.0.1:$P_KEYSTONE/v3/" --bootstrap-region-id RegionOne
  glance-manage --config-file "$D/etc/glance/glance-api.conf" db_sync
  placement-manage --config-file "$D/etc/placement/placement.conf" db sync
  nova-manage --config-file "$N" api_db sync
  nova-manage --config-file "$N" cell_v2 map_cell0 --database_connection "$DB/nova_cell0"
  nova-manage --config-file "$N" db sync
  nova-manage --config-file "$N" cell_v2 create_cell --name cell1 || true
  neutron-db-manage --config-file "$D/etc/neutron/neutron.conf" --config-file "$D/etc/neutron/ml2_conf.ini" upgrade heads
  # A live Open vSwitch agent on the fake compute host, so ML2 can bind ports without a real agent.
  sql neutron -e "INSERT INTO agents (id,agent_type,\`binary\`,topic,host,admin_state_up,created_at,started_at,heartbeat_timestamp,configurations,\`load\`)
    VALUES (UUID(),'Open vSwitch agent','neutron-openvswitch-agent','N/A','$HOST',1,UTC_TIMESTAMP(),UTC_TIMESTAMP(),UTC_TIMESTAMP(),
    '{\"bridge_mappings\": {}, \"tunnel_types\": [], \"integration_bridge\": \"br-int\", \"ovs_hybrid_plug\": false}',0)"
  mark databases
}

start_services() {
  local UW=(uwsgi --plugin python3 --master --processes 1 --threads 2 --die-on-term --need-app --buffer-size 65535
    --add-header Connection:close)
  start_bg keystone "${UW[@]}" --http-socket "127.0.0.1:$P_KEYSTONE" --wsgi-file /usr/bin/keystone-wsgi-public \
    --env "OS_KEYSTONE_CONFIG_FILES=$D/etc/keystone/keystone.conf"
  start_bg placement "${UW[@]}" --http-socket "127.0.0.1:$P_PLACEMENT" --wsgi-file /usr/bin/placement-api \
    --env "OS_PLACEMENT_CONFIG_DIR=$D/etc/placement"
  start_bg nova-api "${UW[@]}" --http-socket "127.0.0.1:$P_NOVA" --wsgi-file /usr/bin/nova-api-wsgi \
    --env "OS_NOVA_CONFIG_DIR=$D/etc/nova" --env "OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf"
  start_bg glance glance-api --config-file "$D/etc/glance/glance-api.conf" --config-file "$D/etc/glance/glance-api-paste.ini"
  start_bg neutron neutron-server --config-file "$D/etc/neutron/neutron.conf" --config-file "$D/etc/neutron/ml2_conf.ini"
  wait_for Keystone 90 http "$P_KEYSTONE"
  wait_for Placement 90 http "$P_PLACEMENT"
  wait_for Glance 90 http "$P_GLANCE"
  wait_for Nova 90 http "$P_NOVA"
  wait_for Neutron 90 http "$P_NEUTRON"
}

# Nova's workers find Placement and Neutron through the catalog: started once it exists.
start_workers() {
  start_bg nova-conductor nova-conductor --config-file "$D/etc/nova/nova.conf"
  start_bg nova-scheduler nova-scheduler --config-file "$D/etc/nova/nova.conf"
  start_bg nova-compute nova-compute --config-file "$D/etc/nova/nova.conf" --config-file "$D/etc/nova/nova-compute.conf"
}

token() {
  curl -s -i -m 10 -H 'content-type: application/json' "http://127.0.0.1:$P_KEYSTONE/v3/auth/tokens" -d \
    '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"admin"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}' |
    tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p'
}
api() {
  local method=$1 url=$2 body=${3:-}
  curl -s -m 30 -X "$method" -H "x-auth-token: $TOKEN" -H 'content-type: application/json' \
    -H 'openstack-api-version: compute 2.53' ${body:+-d "$body"} "$url"
}
json() { $PY -c "import sys, json; d = json.load(sys.stdin); print($1)"; }

catalog() {
  done_once catalog && return
  log 'service catalog'
  TOKEN=$(token)
  local svc
  for entry in "glance image http://127.0.0.1:$P_GLANCE" "placement placement http://127.0.0.1:$P_PLACEMENT" \
    "nova compute http://127.0.0.1:$P_NOVA/v2.1" "neutron network http://127.0.0.1:$P_NEUTRON"; do
    read -r name type url <<<"$entry"
    svc=$(api POST "http://127.0.0.1:$P_KEYSTONE/v3/services" "{\"service\":{\"name\":\"$name\",\"type\":\"$type\"}}" | json 'd["service"]["id"]')
    for iface in public internal admin; do
      api POST "http://127.0.0.1:$P_KEYSTONE/v3/endpoints" \
        "{\"endpoint\":{\"service_id\":\"$svc\",\"interface\":\"$iface\",\"region_id\":\"RegionOne\",\"url\":\"$url\"}}" >/dev/null
    done
  done
  mark catalog
}

compute_ready() {
  TOKEN=$(token)
  api GET "http://127.0.0.1:$P_NOVA/v2.1/os-services?binary=nova-compute" | json '[s["state"] for s in d["services"]] == ["up"]' | grep -q True
}

finish() {
  wait_for 'nova-compute' 120 compute_ready
  if ! done_once hosts; then
    nova-manage --config-file "$D/etc/nova/nova.conf" cell_v2 discover_hosts >/dev/null
    mark hosts
  fi
  if ! done_once flavor; then
    TOKEN=$(token)
    api POST "http://127.0.0.1:$P_NOVA/v2.1/flavors" \
      '{"flavor":{"name":"m1.xlarge.ocp","ram":512,"vcpus":1,"disk":1,"id":"capi-fn-ocp"}}' >/dev/null
    mark flavor
  fi
  cat >"$D/clouds.yaml" <<EOF
clouds:
  capi-fn-real:
    auth:
      auth_url: http://127.0.0.1:$P_KEYSTONE/v3
      username: admin
      password: admin
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    auth_type: password
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
}

status() {
  for s in mariadb rabbitmq keystone placement nova-api glance neutron nova-conductor nova-scheduler nova-compute; do
    if running "$s"; then echo "$s running (pid $(cat "$D/run/$s.pid"))"; else echo "$s stopped"; fi
  done
}

down() {
  for s in nova-compute nova-scheduler nova-conductor neutron glance nova-api placement keystone rabbitmq mariadb; do
    if running "$s"; then
      # Each service was started with setsid: its PID is its process group (uwsgi and Nova fork workers).
      kill -TERM -- "-$(cat "$D/run/$s.pid")" 2>/dev/null || true
    fi
    rm -f "$D/run/$s.pid"
  done
  # epmd is started by RabbitMQ outside its group; its PID was recorded once RabbitMQ was up.
  if [ -f "$D/run/epmd.pid" ]; then
    kill -TERM "$(cat "$D/run/epmd.pid")" 2>/dev/null || true
    rm -f "$D/run/epmd.pid"
  fi
}

case "${1:-up}" in
install) install ;;
up)
  install
  configure
  start_infra
  setup_databases
  start_services
  catalog
  start_workers
  finish
  echo "$D/clouds.yaml"
  ;;
down) down ;;
status) status ;;
*)
  echo "usage: $0 install|up|down|status" >&2
  exit 2
  ;;
esac
