#!/bin/bash
# openstack-aio.sh - minimal OpenStack Zed AIO from Debian 12 (bookworm) packages, no systemd, everything on 127.0.0.1.
# The OpenStack integration suite (tests/Doctor.OpenStack.Integration) and `doctor bench openstack` run against it.
# Written from the tested recipe in ../shared/reference/openstack-aio.md; project additions: `ensure` (what CI and the
# tests call: install what is missing, configure, bootstrap once, start), a `doctor` service user, a second tenant,
# Neutron notifications and the data_plane_status extension, a flat network for ports, 5 fake compute hosts (the
# integration suite uses fake-host-1..2, `doctor bench openstack` fake-host-3, the maintenance tests fake-host-4..5),
# quotas for 1,000 servers per tenant, Ceilometer listening on Doctor's exchange too.
# Keystone + Placement + Glance + Neutron(API only, no agents) + Nova(api/conductor/scheduler + N x nova-compute
# with fake.FakeDriver) + RabbitMQ + MariaDB + Ceilometer notification agent (events only) + Aodh(api/listener/notifier).
#
# usage: openstack-aio.sh ensure|install|configure|bootstrap|start|stop [NAME...]|status|all
#   all = install configure bootstrap (bootstrap starts everything and leaves it running)
#   stop NAME... stops only those services (names as `status` prints them), in the same order as a full stop: test.sh
#   stops only what its own ensure started, so a stack someone else was already running is left alone
# env:  AIO_DIR (default /var/tmp/aio)  N_FAKE (number of fake compute hosts, default 2)
set -uo pipefail
A=${AIO_DIR:-/var/tmp/aio}
N_FAKE=${N_FAKE:-5}
PY=/usr/bin/python3            # NOT a pyenv python: the OpenStack libs live in Debian's dist-packages
RABBIT_URL=rabbit://openstack:rabbitpw@127.0.0.1:5672/
DB=mysql+pymysql://os:dbpw@127.0.0.1
KS=http://127.0.0.1:5000
export DEBIAN_FRONTEND=noninteractive

log() { echo "[$(date +%T)] $*"; }
# Up to 4 min per service: on a busy 2-core machine (the build beside it, load 15+) keystone took 85 s to answer.
wait_for() { local what=$1; shift; for i in $(seq 1 960); do "$@" >/dev/null 2>&1 && { log "$what ready"; return 0; }; sleep 0.25; done; log "$what NOT ready"; return 1; }
bg() { local name=$1; shift; nohup "$@" > $A/logs/$name.out 2>&1 & echo $! > $A/pids/$name.pid; }
# A pidfile from before a reboot (or a PID recycled since) names some other process: ours started before its pidfile
# was written, so a process younger than the pidfile (5 s of slack) is not it, and the service gets started again.
alive() { local f=$A/pids/$1.pid p age; [ -f $f ] || return 1; p=$(head -n 1 $f); [ -n "$p" ] && ps -p $p >/dev/null 2>&1 || return 1
  age=$(ps -o etimes= -p $p | tr -d ' '); [ -n "$age" ] && [ $(( $(date +%s) - age )) -le $(( $(stat -c %Y $f) + 5 )) ]; }
get_token() { curl -s -i -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"adminpw"}}},"scope":{"project":{"name":"'${1:-admin}'","domain":{"name":"Default"}}}}}' $KS/v3/auth/tokens | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r'; }
ks_auth() { # [keystone_authtoken]-style block for user $1/password $2
cat <<EOF
auth_url = $KS/v3
www_authenticate_uri = $KS
auth_type = password
project_name = service
project_domain_name = Default
user_domain_name = Default
username = $1
password = $2
region_name = RegionOne
EOF
}

do_install() {
  # Block daemon auto-start from maintainer scripts (no systemd here anyway). All debconf questions of the
  # openstack-pkg-tools packages (configure_db, register-endpoint, configure_rabbit, ...) default to false,
  # so plain noninteractive install configures nothing.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get update
  # nova-compute needs "nova-compute-kvm | nova-compute-hypervisor"; nova-compute-ironic is the lightest provider
  # (its /etc/nova/nova-compute.conf sets compute_driver=ironic - we never load that file).
  apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    rabbitmq-server mariadb-server python3-pymysql keystone placement-api glance-api neutron-server \
    nova-api nova-conductor nova-scheduler nova-compute nova-compute-ironic \
    aodh-api aodh-listener aodh-notifier ceilometer-agent-notification \
    python3-openstackclient python3-aodhclient uwsgi-plugin-python3 curl bc
  rm -f /usr/sbin/policy-rc.d
}

do_configure() {
  mkdir -p $A/{logs,pids,lock,etc,images,glance-staging,glance-tasks,tools}
  # --- RabbitMQ: loopback only (AMQP, epmd, erlang distribution)
  grep -q '^NODENAME=rabbit@localhost' /etc/rabbitmq/rabbitmq-env.conf || cat >> /etc/rabbitmq/rabbitmq-env.conf <<'EOF'
# --- aio ---
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=5672
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
  # --- Keystone
  cat > /etc/keystone/keystone.conf <<EOF
[DEFAULT]
log_dir = $A/logs
log_file = keystone.log
[catalog]
driver = sql
[database]
connection = $DB/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = /etc/keystone/fernet-keys/
[credential]
key_repository = /etc/keystone/credential-keys/
[oslo_policy]
policy_dirs = /etc/keystone/policy.d
EOF
  uwsgi_ini() { # name port wsgi-file processes
    cat > $A/etc/$1-uwsgi.ini <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$2
wsgi-file = $3
master = true
processes = $4
threads = 4
lazy-apps = true
buffer-size = 65535
die-on-term = true
enable-threads = true
# without this python-requests keep-alive reuse gets 'Connection reset by peer' from uwsgi http-socket
add-header = Connection: close
EOF
  }
  uwsgi_ini keystone 5000 /usr/bin/keystone-wsgi-public 2
  uwsgi_ini placement 8778 /usr/bin/placement-api 1
  uwsgi_ini aodh 8042 /usr/share/aodh-common/app.wsgi 1
  # --- Placement
  cat > /etc/placement/placement.conf <<EOF
[DEFAULT]
log_dir = $A/logs
log_file = placement.log
pybasedir = /usr/lib/python3/dist-packages
[api]
auth_strategy = keystone
[keystone_authtoken]
$(ks_auth placement placementpw)
[oslo_policy]
policy_dirs = /etc/placement/policy.d
[placement_database]
connection = $DB/placement
EOF
  # --- Glance (needed: nova-api validates imageRef against Glance)
  cat > /etc/glance/glance-api.conf <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9292
workers = 1
log_dir = $A/logs
log_file = glance-api.log
enabled_backends = fs:file
[database]
connection = $DB/glance
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $A/images/
[os_glance_staging_store]
filesystem_store_datadir = $A/glance-staging/
[os_glance_tasks_store]
filesystem_store_datadir = $A/glance-tasks/
[keystone_authtoken]
$(ks_auth glance glancepw)
[paste_deploy]
flavor = keystone
[oslo_policy]
policy_dirs = /etc/glance/policy.d
EOF
  # --- Neutron: API server only (no agents, no mechanism drivers). Needed because nova-api GET /servers[/detail],
  # conductor (evacuate/rebuild) and compute (delete) call GET /v2.0/ports even for --nic none servers.
  cat > /etc/neutron/neutron.conf <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9696
auth_strategy = keystone
core_plugin = ml2
service_plugins =
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
transport_url = $RABBIT_URL
[oslo_messaging_notifications]
# port.create/update/delete on exchange neutron, topic notifications: Doctor's sync reads them
driver = messagingv2
log_dir = $A/logs
log_file = neutron-server.log
[database]
connection = $DB/neutron
[keystone_authtoken]
$(ks_auth neutron neutronpw)
[oslo_concurrency]
lock_path = $A/lock
[oslo_policy]
policy_dirs = /etc/neutron/policy.d
EOF
  cat > /etc/neutron/plugins/ml2/ml2_conf.ini <<'EOF'
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers = port_security,data_plane_status
[ml2_type_flat]
flat_networks = *
EOF
  # --- Nova
  cat > /etc/nova/nova.conf <<EOF
[DEFAULT]
my_ip = 127.0.0.1
host = aio-controller
state_path = /var/lib/nova
pybasedir = /usr/lib/python3/dist-packages
log_dir = $A/logs
transport_url = $RABBIT_URL
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = 8774
osapi_compute_workers = 1
compute_driver = fake.FakeDriver
# heartbeat / liveness (defaults). A crashed nova-compute shows host_status UNKNOWN after service_down_time
report_interval = 10
service_down_time = 60
# FakeDriver keeps instances only in memory; don't let the power-state sync touch them after a compute restart
sync_power_state_interval = -1
[api]
auth_strategy = keystone
[api_database]
connection = $DB/nova_api
[database]
connection = $DB/nova
[conductor]
workers = 1
[scheduler]
workers = 1
# new fake hosts get mapped to cell1 automatically
discover_hosts_in_cells_interval = 30
[glance]
api_servers = http://127.0.0.1:9292
[keystone_authtoken]
$(ks_auth nova novapw)
[placement]
$(ks_auth nova novapw)
[neutron]
$(ks_auth nova novapw)
[service_user]
send_service_user_token = true
$(ks_auth nova novapw)
[notifications]
# both = legacy compute.instance.* on topic 'notifications' (Ceilometer/Aodh use these)
#      + versioned instance.* / service.update on topic 'versioned_notifications'
notification_format = both
notify_on_state_change = vm_and_task_state
[oslo_messaging_notifications]
driver = messagingv2
[oslo_concurrency]
lock_path = $A/lock
[vnc]
enabled = false
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
EOF
  for h in $(seq 1 $N_FAKE); do printf '[DEFAULT]\nhost = fake-host-%s\nlog_file = nova-compute-fake-host-%s.log\n' $h $h > /etc/nova/fake-host-$h.conf; done
  # --- Ceilometer: notification agent, event pipeline only, publishing to Aodh's alarm.all topic
  cat > /etc/ceilometer/ceilometer.conf <<EOF
[DEFAULT]
transport_url = $RABBIT_URL
log_dir = $A/logs
event_pipeline_cfg_file = /etc/ceilometer/event_pipeline.yaml
[notification]
workers = 1
pipelines = event
# the defaults plus doctor: Doctor's published notifications become events Aodh alarms can match
notification_control_exchanges = nova
notification_control_exchanges = neutron
notification_control_exchanges = aodh
notification_control_exchanges = ceilometer
notification_control_exchanges = doctor
[service_credentials]
$(ks_auth aodh aodhpw)
interface = internalURL
EOF
  cat > /etc/ceilometer/event_pipeline.yaml <<'EOF'
---
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - notifier://?topic=alarm.all
EOF
  # --- Aodh
  cat > /etc/aodh/aodh.conf <<EOF
[DEFAULT]
transport_url = $RABBIT_URL
log_dir = $A/logs
# default 60: alarms created after the listener cached a project's alarm list are ignored for up to 60s.
# It is read from [DEFAULT]; under [evaluator] it is silently ignored.
event_alarm_cache_ttl = 0
[api]
paste_config = /usr/lib/python3/dist-packages/aodh/api/api-paste.ini
[database]
connection = $DB/aodh
[evaluator]
workers = 1
[listener]
workers = 1
event_alarm_topic = alarm.all
batch_size = 1
[notifier]
workers = 1
batch_size = 1
[keystone_authtoken]
$(ks_auth aodh aodhpw)
[service_credentials]
$(ks_auth aodh aodhpw)
interface = internalURL
[oslo_policy]
policy_dirs = /etc/aodh/policy.d
EOF
  cat > $A/admin-openrc <<EOF
export OS_AUTH_URL=$KS/v3 OS_USERNAME=admin OS_PASSWORD=adminpw OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne
EOF
  sed -e 's/OS_USERNAME=admin/OS_USERNAME=demo/; s/OS_PASSWORD=adminpw/OS_PASSWORD=demopw/; s/OS_PROJECT_NAME=admin/OS_PROJECT_NAME=demo/' $A/admin-openrc > $A/demo-openrc
  log "configured"
}

start_infra() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  alive mariadb || bg mariadb /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1
  local started_rabbit=0
  alive rabbitmq || { ERL_EPMD_ADDRESS=127.0.0.1 bg rabbitmq /usr/sbin/rabbitmq-server; started_rabbit=1; }
  wait_for mariadb mysqladmin ping
  # The epmd our RabbitMQ started (it daemonizes, so it is nobody's child): the newest one, and only when this call started
  # RabbitMQ - an epmd of another Erlang program on the machine must not end up in the pidfile and be stopped with ours.
  wait_for rabbitmq rabbitmqctl -n rabbit@localhost -q await_startup && [ $started_rabbit = 1 ] && pgrep -n -x epmd > $A/pids/epmd.pid
}

start_services() {
  alive keystone  || bg keystone  uwsgi --ini $A/etc/keystone-uwsgi.ini
  alive placement || bg placement uwsgi --ini $A/etc/placement-uwsgi.ini
  alive glance    || bg glance    glance-api --config-file /etc/glance/glance-api.conf
  alive neutron   || bg neutron   neutron-server --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini
  for s in api conductor scheduler; do alive nova-$s || bg nova-$s nova-$s --config-file /etc/nova/nova.conf; done
  for h in $(seq 1 $N_FAKE); do alive nova-compute-$h || bg nova-compute-$h nova-compute --config-file /etc/nova/nova.conf --config-file /etc/nova/fake-host-$h.conf; done
  alive aodh-api || bg aodh-api uwsgi --ini $A/etc/aodh-uwsgi.ini
  for s in listener notifier; do alive aodh-$s || bg aodh-$s aodh-$s --config-file /etc/aodh/aodh.conf; done
  alive ceilometer-notification || bg ceilometer-notification ceilometer-agent-notification --config-file /etc/ceilometer/ceilometer.conf
  wait_for keystone  curl -sf $KS/v3
  wait_for placement curl -sf http://127.0.0.1:8778/
  wait_for glance    curl -sf http://127.0.0.1:9292/healthcheck
  wait_for neutron   curl -sf http://127.0.0.1:9696/
  # Neutron Zed bug: in a fresh API worker GET /v2.0/ports 500s (AttributeError: type object 'Port' has no
  # attribute 'port_forwardings') until any other DB query has configured the SQLAlchemy mappers. Warm it up.
  curl -s -o /dev/null -H "X-Auth-Token: $(get_token admin)" http://127.0.0.1:9696/v2.0/networks && log "neutron warmed up"
  wait_for nova-api  curl -sf http://127.0.0.1:8774/
  wait_for aodh-api  curl -sf http://127.0.0.1:8042/
}

do_start() { local T0=$(date +%s.%N); mkdir -p $A/{logs,pids,lock}; start_infra; start_services; log "all started in $(echo "$(date +%s.%N)-$T0"|bc)s"; }

do_stop() { # [NAME...] by PID only: SIGTERM (nova services take ~4-15s to exit gracefully), SIGKILL leftovers after 30s
  local only=" $* "
  sel() { [ -z "${only// /}" ] || [[ "$only" == *" $1 "* ]]; }
  desc() { local p=$1; echo $p; for c in $(pgrep -P $p); do desc $c; done; }
  stop() { sel $1 || return 0; local f=$A/pids/$1.pid; [ -f $f ] || return 0; local p=$(cat $f); ps -p $p >/dev/null 2>&1 || { rm -f $f; return 0; }
    local all=$(desc $p); kill -TERM $p 2>/dev/null
    for i in $(seq 1 60); do ps -p $p >/dev/null 2>&1 || break; sleep 0.5; done
    for q in $all; do ps -p $q >/dev/null 2>&1 && kill -KILL $q 2>/dev/null; done; rm -f $f; log "stopped $1"; }
  for n in webhook notif_listener ceilometer-notification aodh-notifier aodh-listener aodh-api; do stop $n & done; wait
  for n in $(ls $A/pids 2>/dev/null | sed -n 's/^\(nova-compute-[0-9]*\)\.pid$/\1/p') nova-api nova-scheduler nova-conductor neutron glance placement keystone; do stop $n & done; wait
  if sel rabbitmq && alive rabbitmq; then rabbitmqctl -n rabbit@localhost -q stop >/dev/null 2>&1; stop rabbitmq; fi
  stop epmd; stop mariadb
}

do_bootstrap() {
  local T0=$(date +%s)
  start_infra
  mysql <<'EOF'
CREATE DATABASE IF NOT EXISTS keystone; CREATE DATABASE IF NOT EXISTS placement; CREATE DATABASE IF NOT EXISTS glance;
CREATE DATABASE IF NOT EXISTS neutron; CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova;
CREATE DATABASE IF NOT EXISTS nova_cell0; CREATE DATABASE IF NOT EXISTS aodh;
CREATE USER IF NOT EXISTS 'os'@'localhost' IDENTIFIED BY 'dbpw'; CREATE USER IF NOT EXISTS 'os'@'127.0.0.1' IDENTIFIED BY 'dbpw';
GRANT ALL PRIVILEGES ON *.* TO 'os'@'localhost'; GRANT ALL PRIVILEGES ON *.* TO 'os'@'127.0.0.1'; FLUSH PRIVILEGES;
EOF
  R="rabbitmqctl -n rabbit@localhost -q"
  $R list_users | grep -q '^openstack' || $R add_user openstack rabbitpw
  $R set_permissions -p / openstack '.*' '.*' '.*'
  # nobody consumes versioned_notifications.info by default -> cap it so it can't grow forever
  $R set_policy --apply-to queues notif-cap '^(versioned_)?notifications\.' '{"max-length":10000,"message-ttl":3600000}'
  keystone-manage db_sync
  keystone-manage fernet_setup --keystone-user root --keystone-group root
  keystone-manage credential_setup --keystone-user root --keystone-group root
  keystone-manage bootstrap --bootstrap-password adminpw --bootstrap-admin-url $KS/v3/ --bootstrap-internal-url $KS/v3/ \
    --bootstrap-public-url $KS/v3/ --bootstrap-region-id RegionOne 2>/dev/null
  alive keystone || bg keystone uwsgi --ini $A/etc/keystone-uwsgi.ini
  wait_for keystone curl -sf $KS/v3
  . $A/admin-openrc
  # one openstack process reading commands from stdin: ~5x faster than one CLI call per command.
  # NB: no quoted arguments in this mode; errors (e.g. duplicates on re-run) are printed and skipped.
  { echo "project create --domain default service"; echo "project create --domain default demo"
    echo "user create --domain default --password demopw demo"
    echo "role add --project demo --user demo member"; echo "role add --project demo --user demo reader"
    echo "role add --project demo --user admin admin"
    echo "project create --domain default demo2"; echo "user create --domain default --password demo2pw demo2"
    echo "role add --project demo2 --user demo2 member"; echo "role add --project demo2 --user demo2 reader"
    echo "role add --project demo2 --user admin admin" # pinning a server to a host (2.74 "host") is admin-only
    echo "user create --domain default --password doctorpw doctor"; echo "role add --project service --user doctor admin"
    for u in nova placement glance neutron aodh; do echo "user create --domain default --password ${u}pw $u"; echo "role add --project service --user $u admin"; done
    for s in "nova compute 8774/v2.1" "placement placement 8778" "glance image 9292" "neutron network 9696" "aodh alarming 8042"; do
      set -- $s; echo "service create --name $1 $2"
      for i in public internal admin; do echo "endpoint create --region RegionOne $2 $i http://127.0.0.1:$3"; done; done
  } | openstack 2>&1 | grep -E 'rror|onflict' | grep -v 'Duplicate\|Conflict' || true
  # endpoints are duplicated on re-run: de-dup guard
  [ "$(openstack endpoint list -f value -c ID | wc -l)" -le 18 ] || log "WARNING: duplicate endpoints (re-run?)"
  placement-manage db sync
  glance-manage db_sync >/dev/null 2>&1
  neutron-db-manage --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade heads >/dev/null 2>&1
  nova-manage api_db sync
  nova-manage cell_v2 map_cell0 --database_connection $DB/nova_cell0
  nova-manage cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' || nova-manage cell_v2 create_cell --name=cell1
  nova-manage db sync
  aodh-dbsync --config-file /etc/aodh/aodh.conf >/dev/null 2>&1
  start_services
  # tiny fake image + flavor with a fixed id
  openstack image show fake-image >/dev/null 2>&1 || { head -c 1024 /dev/zero > $A/fake.img; openstack image create --disk-format raw --container-format bare --public --file $A/fake.img fake-image -f value -c id; }
  openstack flavor show 1 >/dev/null 2>&1 || openstack flavor create --id 1 --vcpus 1 --ram 64 --disk 1 m1.tiny -f value -c id
  for p in demo demo2; do openstack quota set --instances 1000 --cores 1000 --ram 1024000 --server-groups 100 --server-group-members 100 $p; done
  openstack network show doctor-net >/dev/null 2>&1 || openstack network create --share --provider-network-type flat --provider-physical-network physnet1 doctor-net -f value -c id
  nova-manage cell_v2 discover_hosts >/dev/null 2>&1
  touch $A/bootstrapped
  log "bootstrap done in $(( $(date +%s)-T0 ))s"
}

installed() { command -v nova-api >/dev/null 2>&1 && command -v keystone-manage >/dev/null 2>&1 && command -v aodh-listener >/dev/null 2>&1 \
  && command -v ceilometer-agent-notification >/dev/null 2>&1 && command -v rabbitmq-server >/dev/null 2>&1 && command -v mariadbd >/dev/null 2>&1; }

# ensure: what the tests and CI call. Installs only what is missing, writes the configuration (cheap, idempotent),
# bootstraps the databases once (marker file), otherwise starts what is not running. Exit 0 when every API answers.
do_ensure() {
  local T0=$(date +%s)
  if ! installed; then [ "$(id -u)" = 0 ] || { log "not installed and not root: cannot install"; return 2; }; do_install || return 2; fi
  installed || { log "the OpenStack packages could not be installed"; return 2; }
  do_configure
  if [ -f $A/bootstrapped ]; then do_start; else do_bootstrap; fi
  for s in mariadb rabbitmq keystone placement glance neutron nova-api nova-conductor nova-scheduler aodh-api aodh-listener aodh-notifier ceilometer-notification; do
    alive $s || { log "$s is not running (see $A/logs/$s.out)"; return 1; }; done
  log "ensure done in $(( $(date +%s)-T0 ))s"
}

case "${1:-}" in
  ensure) do_ensure; exit $?;;
  install) do_install;; configure) do_configure;; bootstrap) do_bootstrap;; start) do_start;; stop) shift; do_stop "$@";;
  status) for f in $A/pids/*.pid; do n=$(basename $f .pid); alive $n && echo "up   $n" || echo "DOWN $n"; done;;
  all) do_install; do_configure; do_bootstrap;;
  *) echo "usage: $0 ensure|install|configure|bootstrap|start|stop [NAME...]|status|all"; exit 1;;
esac
