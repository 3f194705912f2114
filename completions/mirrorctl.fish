# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mirrorctl_global_optspecs
    string join \n q/quiet v/verbose lang= state-dir= h/help V/version
end

function __fish_mirrorctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mirrorctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mirrorctl_using_subcommand
    set -l cmd (__fish_mirrorctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -s V -l version -d 'Print version'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "list" -d 'List the catalogue: provider, status, notes, where each entry comes from, and the last probe result'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "probe" -d 'Pull-test every mirror of the catalogue with the registry v2 protocol and rank them'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "apply" -d 'Write the best mirrors into daemon.json, restart dockerd, verify, and roll back by itself on failure'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "show" -d 'Show the mirrors the live daemon uses (as `docker info` prints them), the file\'s, and where they differ'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "doctor" -d 'Check daemon.json, dockerd\'s flags and the live daemon for what breaks mirrors or stops dockerd starting'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "proxy" -d 'Set, show or unset the HTTP proxy dockerd (or containerd) pulls through'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "catalogue" -d 'Refresh the catalogue without a new release: a signed file, verified before it is used'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "completions" -d 'Print a shell completion script, e.g. `mirrorctl completions bash > /etc/bash_completion.d/mirrorctl`'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "man" -d 'Print a man page (roff), e.g. `mirrorctl man probe | man -l -`, or write every page into a directory'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "history" -d 'Each mirror\'s record from the probe history: success rate, median latency and speed, last failure'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "report" -d 'One page a person can open and share: ranking with reasons, what Docker uses, each mirror\'s latency and success rate over time, watch\'s decisions (self-contained HTML, charts as inline SVG); or one chart as SVG'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "watch" -d 'Keep the configured mirrors alive: probe, replace a mirror that keeps failing, with a reload (no container stops); or install a timer that does it every few hours'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "cache" -d 'A team\'s pull-through cache: set up docker-registry in front of the best mirror, check it, fill it'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "metrics" -d 'Prometheus metrics from the probe history, watch and the cache: printed, written for node_exporter\'s textfile collector, or served on /metrics'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "restore" -d 'Put the newest backup of daemon.json back, with the same restart, verification and rollback as apply'
complete -c mirrorctl -n "__fish_mirrorctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -l catalogue -d 'Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -l mirror -d 'A mirror by URL, e.g. your personal Aliyun address; repeatable. probe: added to the catalogue. apply: use exactly these, in this order' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -l registry -d 'Only mirrors of this registry (default: all registries)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -l all -d 'Include mirrors the catalogue lists as closed'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -l json -d 'Print one JSON document instead of the table'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand list" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l catalogue -d 'Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l mirror -d 'A mirror by URL, e.g. your personal Aliyun address; repeatable. probe: added to the catalogue. apply: use exactly these, in this order' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l registry -d 'The registry the mirrors stand in for: docker.io, or ghcr.io, quay.io, registry.k8s.io, … (those need --image naming one of their images; dockerd\'s registry-mirrors serve only docker.io)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l image -d 'The image each mirror must serve (default for docker.io: library/alpine:latest)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l platform -d 'The platform to pull for (default: this machine\'s), e.g. linux/arm64' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l timeout -d 'One deadline per mirror, in seconds, for the whole pull' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l jobs -d 'How many mirrors to probe at once (default: as many as this process\'s open-file limit allows, up to 1024)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l blob-jobs -d 'How many blob downloads at once: they share your link, so fewer means each mirror\'s speed is measured on the whole link (the wait for a slot is not counted against the mirror)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l max-blob-mib -d 'Refuse to download a layer larger than this many MiB (the probe picks the image\'s smallest layer)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l certs-dir -d 'dockerd\'s per-registry CA directory; its certificates are trusted as dockerd trusts them' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l expect-digest -d 'The digest the tag must resolve to (sha256:…): a mirror serving another one is stale' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l config -d 'The daemon.json whose `proxies` the probe goes through (default: /etc/docker/daemon.json)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l all -d 'Include mirrors the catalogue lists as closed'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l no-daemon-proxy -d 'Probe directly (or through this shell\'s HTTP(S)_PROXY) instead of through dockerd\'s own proxy'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -l json -d 'Print one JSON document instead of the table'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand probe" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l catalogue -d 'Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l mirror -d 'A mirror by URL, e.g. your personal Aliyun address; repeatable. probe: added to the catalogue. apply: use exactly these, in this order' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l registry -d 'The registry the mirrors stand in for: docker.io, or ghcr.io, quay.io, registry.k8s.io, … (those need --image naming one of their images; dockerd\'s registry-mirrors serve only docker.io)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l image -d 'The image each mirror must serve (default for docker.io: library/alpine:latest)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l platform -d 'The platform to pull for (default: this machine\'s), e.g. linux/arm64' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l timeout -d 'One deadline per mirror, in seconds, for the whole pull' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l jobs -d 'How many mirrors to probe at once (default: as many as this process\'s open-file limit allows, up to 1024)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l blob-jobs -d 'How many blob downloads at once: they share your link, so fewer means each mirror\'s speed is measured on the whole link (the wait for a slot is not counted against the mirror)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l max-blob-mib -d 'Refuse to download a layer larger than this many MiB (the probe picks the image\'s smallest layer)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l certs-dir -d 'dockerd\'s per-registry CA directory; its certificates are trusted as dockerd trusts them' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l expect-digest -d 'The digest the tag must resolve to (sha256:…): a mirror serving another one is stale' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l config -d 'daemon.json to edit (default: /etc/docker/daemon.json; rootless: ~/.config/docker/daemon.json)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l init -d 'How to restart dockerd' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l target -d 'Which runtime to configure' -r -f -a "docker\t'dockerd\'s daemon.json (`registry-mirrors`; Docker Hub only)'
containerd\t'containerd\'s certs.d/<registry>/hosts.toml (and `config_path` in config.toml when missing)'
containers\t'podman, cri-o, skopeo, buildah: a registries.conf.d drop-in'
k3s\t'k3s\'s registries.yaml (`mirrors.<registry>.endpoint`), then a restart of k3s or k3s-agent'
auto\t'Every one of the above that is installed'"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l containerd-config -d 'containerd\'s config.toml (its CRI `config_path` says where hosts.toml files live)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l containerd-hosts-dir -d 'Where containerd\'s hosts.toml files live when config.toml does not say' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l containers-conf -d 'The containers family\'s main registries.conf (read by show and doctor; apply never edits it)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l containers-dir -d 'The registries.conf.d directory for podman/cri-o/skopeo (default: /etc/containers/registries.conf.d, or ~/.config/containers/registries.conf.d when not root)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l k3s-config -d 'k3s\'s registries.yaml (read by k3s when it starts)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l k3s-unit -d 'The k3s unit to restart (default: k3s-agent on an agent node, else k3s)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l top -d 'How many of the best passing mirrors to write' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l pull -d 'After the change is live, pull this Docker Hub image through the daemon and watch its connections: a pull that Docker Hub served, not a mirror, fails the verification and rolls the change back' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l all -d 'Include mirrors the catalogue lists as closed'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l no-daemon-proxy -d 'Probe directly (or through this shell\'s HTTP(S)_PROXY) instead of through dockerd\'s own proxy'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l dry-run -d 'Print the plan and the diff; change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l reload -d 'Apply with `systemctl reload docker` (SIGHUP): mirrors change without stopping containers'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l no-restart -d 'Only write the file; restart dockerd yourself'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l json -d 'Print one JSON document: whether anything changed (`changed`), and per target the files and how they were made live. The plan and the diff go to stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -l no-probe -d 'With --mirror: write them without probing first'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l config -d 'daemon.json to read (default: the platform\'s, as for apply)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l certs-dir -d 'dockerd\'s certs.d: on the containerd image store its hosts.toml files decide which hosts pulls use' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l containerd-config -d 'containerd\'s config.toml (its CRI `config_path` says where hosts.toml files live)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l containerd-hosts-dir -d 'Where containerd\'s hosts.toml files live when config.toml does not say' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l containers-conf -d 'The containers family\'s main registries.conf (read by show and doctor; apply never edits it)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l containers-dir -d 'The registries.conf.d directory for podman/cri-o/skopeo (default: /etc/containers/registries.conf.d, or ~/.config/containers/registries.conf.d when not root)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l k3s-config -d 'k3s\'s registries.yaml (read by k3s when it starts)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l k3s-unit -d 'The k3s unit to restart (default: k3s-agent on an agent node, else k3s)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -l json -d 'Print one JSON document instead of text'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand show" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l config -d 'daemon.json to check (default: the platform\'s, as for apply)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l certs-dir -d 'dockerd\'s certs.d: on the containerd image store its hosts.toml files decide which hosts pulls use' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l containerd-config -d 'containerd\'s config.toml (its CRI `config_path` says where hosts.toml files live)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l containerd-hosts-dir -d 'Where containerd\'s hosts.toml files live when config.toml does not say' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l containers-conf -d 'The containers family\'s main registries.conf (read by show and doctor; apply never edits it)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l containers-dir -d 'The registries.conf.d directory for podman/cri-o/skopeo (default: /etc/containers/registries.conf.d, or ~/.config/containers/registries.conf.d when not root)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l k3s-config -d 'k3s\'s registries.yaml (read by k3s when it starts)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l k3s-unit -d 'The k3s unit to restart (default: k3s-agent on an agent node, else k3s)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l init -d 'How dockerd is managed (for the unit\'s flags and state)' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l pull -d 'Pull this Docker Hub image through the daemon and say which host served it (from the daemon\'s own connections, not `docker info`)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l all-engines -d 'Also judge the file under every engine generation (20.10 to 28.5) and say when the verdict depends on it'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -l json -d 'Print one JSON document instead of text'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -f -a "set" -d 'Pull through this proxy (HTTP and HTTPS), with the same backup, restart, verification and rollback as apply'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -f -a "show" -d 'Show the proxy in daemon.json, in the systemd drop-in, and in the live daemon (passwords masked)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -f -a "unset" -d 'Remove the proxy from daemon.json and the drop-in'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and not __fish_seen_subcommand_from set show unset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l no-proxy -d 'Hosts that bypass the proxy, comma-separated (put your mirrors here if the proxy cannot reach them)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l unit -d 'The service that pulls through the proxy' -r -f -a "docker\t''
containerd\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l method -d 'Where to write the proxy: auto, daemon-json (Engine 23+) or a systemd drop-in' -r -f -a "auto\t'daemon.json `proxies` when dockerd is 23 or newer, else a systemd drop-in'
daemon-json\t''
systemd\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l systemd-dir -d 'systemd\'s unit directory for the drop-in (default /etc/systemd/system; rootless ~/.config/systemd/user)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l config -d 'daemon.json to edit (default: /etc/docker/daemon.json; rootless: ~/.config/docker/daemon.json)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l init -d 'How to restart dockerd' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l dry-run -d 'Print the plan and the diff; change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l reload -d 'Apply with `systemctl reload docker` (SIGHUP): mirrors change without stopping containers'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l no-restart -d 'Only write the file; restart dockerd yourself'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -l json -d 'Print one JSON document: whether anything changed (`changed`), and per target the files and how they were made live. The plan and the diff go to stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -l config -d 'daemon.json to read' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -l unit -d 'The service that pulls through the proxy' -r -f -a "docker\t''
containerd\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -l method -d 'Where to write the proxy: auto, daemon-json (Engine 23+) or a systemd drop-in' -r -f -a "auto\t'daemon.json `proxies` when dockerd is 23 or newer, else a systemd drop-in'
daemon-json\t''
systemd\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -l systemd-dir -d 'systemd\'s unit directory for the drop-in (default /etc/systemd/system; rootless ~/.config/systemd/user)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document instead of text'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l unit -d 'The service that pulls through the proxy' -r -f -a "docker\t''
containerd\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l method -d 'Where to write the proxy: auto, daemon-json (Engine 23+) or a systemd drop-in' -r -f -a "auto\t'daemon.json `proxies` when dockerd is 23 or newer, else a systemd drop-in'
daemon-json\t''
systemd\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l systemd-dir -d 'systemd\'s unit directory for the drop-in (default /etc/systemd/system; rootless ~/.config/systemd/user)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l config -d 'daemon.json to edit (default: /etc/docker/daemon.json; rootless: ~/.config/docker/daemon.json)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l init -d 'How to restart dockerd' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l dry-run -d 'Print the plan and the diff; change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l reload -d 'Apply with `systemctl reload docker` (SIGHUP): mirrors change without stopping containers'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l no-restart -d 'Only write the file; restart dockerd yourself'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -l json -d 'Print one JSON document: whether anything changed (`changed`), and per target the files and how they were made live. The plan and the diff go to stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from unset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "set" -d 'Pull through this proxy (HTTP and HTTPS), with the same backup, restart, verification and rollback as apply'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the proxy in daemon.json, in the systemd drop-in, and in the live daemon (passwords masked)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "unset" -d 'Remove the proxy from daemon.json and the drop-in'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and not __fish_seen_subcommand_from update help" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and not __fish_seen_subcommand_from update help" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and not __fish_seen_subcommand_from update help" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and not __fish_seen_subcommand_from update help" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and not __fish_seen_subcommand_from update help" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and not __fish_seen_subcommand_from update help" -f -a "update" -d 'Fetch a catalogue and its minisign signature (FILE.minisig), verify both, and use it from now on'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and not __fish_seen_subcommand_from update help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -l from -d 'Where to fetch it: an https:// URL or a file (default: the project\'s, or `catalogue.url` in the user config)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -l trust-key -d 'The minisign public key to verify with (default: the project\'s, pinned in the binary, or `catalogue.trust_key` in the user config): a team\'s own catalogue' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -l json -d 'Print one JSON document instead of text'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from help" -f -a "update" -d 'Fetch a catalogue and its minisign signature (FILE.minisig), verify both, and use it from now on'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand catalogue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand completions" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand completions" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand completions" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand completions" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand man" -l dir -d 'Write every page (mirrorctl.1, mirrorctl-probe.1, …) into this directory instead of printing one' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand man" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand man" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand man" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand man" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand man" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -l mirror -d 'Only this mirror (its name or URL)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -l since -d 'How far back, e.g. 24h, 7d, 90d (history keeps 90 days)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -l registry -d 'Which registry\'s mirrors' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -l json -d 'Print one JSON document instead of the table'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand history" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l html -d 'Write the page to this file (`-`: stdout). An existing file is replaced whole; a symbolic link is refused' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l svg -d 'Write one chart as SVG to this file (`-`: stdout): every mirror\'s latency, or the record of --mirror' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l mirror -d 'With --svg: this mirror\'s latency and success rate (its name or URL)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l since -d 'How far back, e.g. 24h, 7d, 90d (history keeps 90 days)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l days -d 'The same window in whole days, 1 to 90' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l registry -d 'Which registry\'s mirrors' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l config -d 'daemon.json to read (default: the platform\'s, as for apply)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -l json -d 'Print one JSON document: what was written, where, how many bytes'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand report" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l catalogue -d 'Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l mirror -d 'A mirror by URL, e.g. your personal Aliyun address; repeatable. probe: added to the catalogue. apply: use exactly these, in this order' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l registry -d 'The registry the mirrors stand in for: docker.io, or ghcr.io, quay.io, registry.k8s.io, … (those need --image naming one of their images; dockerd\'s registry-mirrors serve only docker.io)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l image -d 'The image each mirror must serve (default for docker.io: library/alpine:latest)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l platform -d 'The platform to pull for (default: this machine\'s), e.g. linux/arm64' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l timeout -d 'One deadline per mirror, in seconds, for the whole pull' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l jobs -d 'How many mirrors to probe at once (default: as many as this process\'s open-file limit allows, up to 1024)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l blob-jobs -d 'How many blob downloads at once: they share your link, so fewer means each mirror\'s speed is measured on the whole link (the wait for a slot is not counted against the mirror)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l max-blob-mib -d 'Refuse to download a layer larger than this many MiB (the probe picks the image\'s smallest layer)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l certs-dir -d 'dockerd\'s per-registry CA directory; its certificates are trusted as dockerd trusts them' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l expect-digest -d 'The digest the tag must resolve to (sha256:…): a mirror serving another one is stale' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l every -d 'With --install: how often, e.g. 30min, 6h, 1d' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l top -d 'How many mirrors to keep configured' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l fail-after -d 'Replace a configured mirror only after it failed this many probes in a row; a better one must win this many in a row' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l margin -d 'A candidate replaces the worst configured mirror only when its estimated pull is this much faster' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l config -d 'daemon.json to keep (default: /etc/docker/daemon.json; rootless: ~/.config/docker/daemon.json)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l init -d 'How dockerd is managed, and with --install where the timer goes' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l systemd-dir -d 'With --install: systemd\'s unit directory (default /etc/systemd/system; as a user ~/.config/systemd/user)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l cron-dir -d 'With --install where there is no systemd: the cron directory (default /etc/cron.d)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l target -d 'What to keep: dockerd\'s daemon.json (a reload), or containerd\'s hosts.toml for --registry (read at each pull: nothing restarts)' -r -f -a "docker\t'dockerd\'s daemon.json (`registry-mirrors`; Docker Hub only)'
containerd\t'containerd\'s certs.d/<registry>/hosts.toml'"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l containerd-config -d 'containerd\'s config.toml (its CRI `config_path` says where hosts.toml files live)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l containerd-hosts-dir -d 'Where containerd\'s hosts.toml files live when config.toml does not say' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l registry-config -d 'With --cache: docker-registry\'s configuration file' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l registry-unit -d 'With --cache: docker-registry\'s unit' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l metrics-textfile -d 'After each cycle, write DIR/mirrorctl.prom as `metrics --textfile DIR` does (for node_exporter)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l all -d 'Include mirrors the catalogue lists as closed'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l no-daemon-proxy -d 'Probe directly (or through this shell\'s HTTP(S)_PROXY) instead of through dockerd\'s own proxy'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l once -d 'One cycle: a fresh probe, then replace what the history says is dying'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l install -d 'Install a systemd timer (or a cron entry where there is no systemd) that runs `watch --once`'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l uninstall -d 'Remove what --install wrote'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l allow-restart -d 'Restart dockerd when a reload cannot apply the change (a restart stops the containers)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l dry-run -d 'Print the decisions and the plan; change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal, as under a timer)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l cache -d 'Keep the pull-through cache\'s upstream alive instead of daemon.json: re-point `proxy.remoteurl` and restart the registry (the nodes keep their config)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -l json -d 'Print one JSON document: the decisions and whether anything changed (`changed`)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -f -a "setup" -d 'Configure docker-registry as a pull-through cache of the best mirror (or --upstream), restart it, prove a pull through it works, and roll back when it does not'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -f -a "status" -d 'The cache\'s upstream and its last probe, whether /v2/ answers, storage used, and what it served'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -f -a "warm" -d 'Pull images through the cache (every manifest and blob for the platforms, digests verified)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -f -a "restore" -d 'Put the registry\'s previous config.yml back, restart it and verify a pull through it (as setup does)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and not __fish_seen_subcommand_from setup status warm restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l catalogue -d 'Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l mirror -d 'A mirror by URL, e.g. your personal Aliyun address; repeatable. probe: added to the catalogue. apply: use exactly these, in this order' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l registry -d 'The registry the mirrors stand in for: docker.io, or ghcr.io, quay.io, registry.k8s.io, … (those need --image naming one of their images; dockerd\'s registry-mirrors serve only docker.io)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l image -d 'The image each mirror must serve (default for docker.io: library/alpine:latest)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l platform -d 'The platform to pull for (default: this machine\'s), e.g. linux/arm64' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l timeout -d 'One deadline per mirror, in seconds, for the whole pull' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l jobs -d 'How many mirrors to probe at once (default: as many as this process\'s open-file limit allows, up to 1024)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l blob-jobs -d 'How many blob downloads at once: they share your link, so fewer means each mirror\'s speed is measured on the whole link (the wait for a slot is not counted against the mirror)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l max-blob-mib -d 'Refuse to download a layer larger than this many MiB (the probe picks the image\'s smallest layer)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l certs-dir -d 'dockerd\'s per-registry CA directory; its certificates are trusted as dockerd trusts them' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l expect-digest -d 'The digest the tag must resolve to (sha256:…): a mirror serving another one is stale' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l listen -d 'The address the cache listens on (distribution\'s http.addr)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l storage -d 'Where the cache keeps what it pulled (created, and given to the unit\'s user)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l upstream -d 'The mirror to pull through (default: the best one a probe finds now)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l registry-config -l config -d 'docker-registry\'s configuration file' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l unit -d 'docker-registry\'s unit' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l init -d 'How docker-registry is managed' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l tls-cert -d 'Serve HTTPS with this certificate (PEM); needs --tls-key' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l tls-key -d 'The certificate\'s private key (PEM)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l metrics -d 'Where distribution serves its metrics (/debug/vars, /metrics) for `cache status`; keep it local' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l all -d 'Include mirrors the catalogue lists as closed'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l no-daemon-proxy -d 'Probe directly (or through this shell\'s HTTP(S)_PROXY) instead of through dockerd\'s own proxy'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l probe -d 'Choose the upstream by probing the catalogue (the default)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l dry-run -d 'Print the plan and the diff; change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -s y -l yes -d 'Do not ask for confirmation'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -l json -d 'Print one JSON document (`changed`) instead of the plan; the plan goes to stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from setup" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -l registry-config -l config -d 'docker-registry\'s configuration file' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -l unit -d 'docker-registry\'s unit' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -l init -d 'How docker-registry is managed' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -l certs-dir -d 'CA directory for an HTTPS cache (as dockerd\'s certs.d)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -l platform -d 'Platforms to pull (repeatable; `all` for every one; default: this machine\'s)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -l cache -d 'The cache\'s URL (default: from its configuration file)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -l registry-config -l config -d 'docker-registry\'s configuration file' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -l certs-dir -d 'CA directory for an HTTPS cache (as dockerd\'s certs.d)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -l json -d 'Print one JSON document'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from warm" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l catalogue -d 'Use this catalogue file (same TOML format as the built-in one) instead of the built-in catalogue' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l mirror -d 'A mirror by URL, e.g. your personal Aliyun address; repeatable. probe: added to the catalogue. apply: use exactly these, in this order' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l registry -d 'The registry the mirrors stand in for: docker.io, or ghcr.io, quay.io, registry.k8s.io, … (those need --image naming one of their images; dockerd\'s registry-mirrors serve only docker.io)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l image -d 'The image each mirror must serve (default for docker.io: library/alpine:latest)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l platform -d 'The platform to pull for (default: this machine\'s), e.g. linux/arm64' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l timeout -d 'One deadline per mirror, in seconds, for the whole pull' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l jobs -d 'How many mirrors to probe at once (default: as many as this process\'s open-file limit allows, up to 1024)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l blob-jobs -d 'How many blob downloads at once: they share your link, so fewer means each mirror\'s speed is measured on the whole link (the wait for a slot is not counted against the mirror)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l max-blob-mib -d 'Refuse to download a layer larger than this many MiB (the probe picks the image\'s smallest layer)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l certs-dir -d 'dockerd\'s per-registry CA directory; its certificates are trusted as dockerd trusts them' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l expect-digest -d 'The digest the tag must resolve to (sha256:…): a mirror serving another one is stale' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l registry-config -l config -d 'docker-registry\'s configuration file' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l unit -d 'docker-registry\'s unit' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l init -d 'How docker-registry is managed' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l backup -d 'Restore this backup (a name from --list) instead of the newest' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l all -d 'Include mirrors the catalogue lists as closed'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l no-daemon-proxy -d 'Probe directly (or through this shell\'s HTTP(S)_PROXY) instead of through dockerd\'s own proxy'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l list -d 'List the backups of config.yml, newest first, and change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l dry-run -d 'Print the plan and the diff; change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -s y -l yes -d 'Do not ask for confirmation'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -l json -d 'Print one JSON document (`changed`; with --list, the backups)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "setup" -d 'Configure docker-registry as a pull-through cache of the best mirror (or --upstream), restart it, prove a pull through it works, and roll back when it does not'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "status" -d 'The cache\'s upstream and its last probe, whether /v2/ answers, storage used, and what it served'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "warm" -d 'Pull images through the cache (every manifest and blob for the platforms, digests verified)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Put the registry\'s previous config.yml back, restart it and verify a pull through it (as setup does)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l textfile -d 'Write DIR/mirrorctl.prom (atomically) for node_exporter\'s textfile collector instead of printing' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l listen -d 'Serve GET /metrics on this address (IP:PORT, loopback unless --allow-remote; port 0 picks one) until stopped' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l registry -d 'Only these registries\' mirrors (repeatable; default: every registry of the catalogue)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l config -d 'daemon.json whose registry-mirrors count as configured (default: the platform\'s, as for apply)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l registry-config -d 'docker-registry\'s configuration file: the cache\'s metrics come from it when it is a pull-through cache on this machine' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l registry-unit -d 'docker-registry\'s unit' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l init -d 'How docker-registry is managed' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l certs-dir -d 'CA directory for an HTTPS cache (as dockerd\'s certs.d)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l allow-remote -d 'With --listen: also accept a non-loopback address. The page has no TLS or login and names every mirror and the cache: firewall it, or put a TLS proxy in front'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -l json -d 'Print one JSON document (every family with its samples) instead of the text format'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand metrics" -s h -l help -d 'Print help'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l config -d 'daemon.json to edit (default: /etc/docker/daemon.json; rootless: ~/.config/docker/daemon.json)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l init -d 'How to restart dockerd' -r -f -a "auto\t''
systemd\t''
sysv\t''
openrc\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l target -d 'Which runtime\'s file to restore: docker (daemon.json), containerd (hosts.toml), containers (the drop-in) or k3s (registries.yaml)' -r -f -a "docker\t'dockerd\'s daemon.json (`registry-mirrors`; Docker Hub only)'
containerd\t'containerd\'s certs.d/<registry>/hosts.toml (and `config_path` in config.toml when missing)'
containers\t'podman, cri-o, skopeo, buildah: a registries.conf.d drop-in'
k3s\t'k3s\'s registries.yaml (`mirrors.<registry>.endpoint`), then a restart of k3s or k3s-agent'
auto\t'Every one of the above that is installed'"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l registry -d 'For containerd: the registry whose hosts.toml to restore' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l backup -d 'Restore this backup (a name from --list) instead of the newest' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l certs-dir -d 'dockerd\'s certs.d: `--target docker` with another registry restores its hosts.toml there' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l containerd-config -d 'containerd\'s config.toml (its CRI `config_path` says where hosts.toml files live)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l containerd-hosts-dir -d 'Where containerd\'s hosts.toml files live when config.toml does not say' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l containers-conf -d 'The containers family\'s main registries.conf (read by show and doctor; apply never edits it)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l containers-dir -d 'The registries.conf.d directory for podman/cri-o/skopeo (default: /etc/containers/registries.conf.d, or ~/.config/containers/registries.conf.d when not root)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l k3s-config -d 'k3s\'s registries.yaml (read by k3s when it starts)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l k3s-unit -d 'The k3s unit to restart (default: k3s-agent on an agent node, else k3s)' -r
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l lang -d 'Language of messages (default: from LC_ALL, LC_MESSAGES or LANG)' -r -f -a "en\t''
zh\t''"
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l state-dir -d 'Where the history, the lock and the updated catalogue live (default: /var/lib/mirrorctl for root, else $XDG_STATE_HOME/mirrorctl)' -r -F
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l dry-run -d 'Print the plan and the diff; change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l reload -d 'Apply with `systemctl reload docker` (SIGHUP): mirrors change without stopping containers'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l no-restart -d 'Only write the file; restart dockerd yourself'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l json -d 'Print one JSON document: whether anything changed (`changed`), and per target the files and how they were made live. The plan and the diff go to stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -l list -d 'List the backups of the file, newest first, and change nothing'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -s q -l quiet -d 'Only results and errors: no progress, notes or summaries on stderr'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -s v -l verbose -d 'Details on stderr: phase timings, addresses and every HTTP request with its status, per mirror'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "list" -d 'List the catalogue: provider, status, notes, where each entry comes from, and the last probe result'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "probe" -d 'Pull-test every mirror of the catalogue with the registry v2 protocol and rank them'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "apply" -d 'Write the best mirrors into daemon.json, restart dockerd, verify, and roll back by itself on failure'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "show" -d 'Show the mirrors the live daemon uses (as `docker info` prints them), the file\'s, and where they differ'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "doctor" -d 'Check daemon.json, dockerd\'s flags and the live daemon for what breaks mirrors or stops dockerd starting'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "proxy" -d 'Set, show or unset the HTTP proxy dockerd (or containerd) pulls through'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "catalogue" -d 'Refresh the catalogue without a new release: a signed file, verified before it is used'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "completions" -d 'Print a shell completion script, e.g. `mirrorctl completions bash > /etc/bash_completion.d/mirrorctl`'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "man" -d 'Print a man page (roff), e.g. `mirrorctl man probe | man -l -`, or write every page into a directory'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "history" -d 'Each mirror\'s record from the probe history: success rate, median latency and speed, last failure'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "report" -d 'One page a person can open and share: ranking with reasons, what Docker uses, each mirror\'s latency and success rate over time, watch\'s decisions (self-contained HTML, charts as inline SVG); or one chart as SVG'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "watch" -d 'Keep the configured mirrors alive: probe, replace a mirror that keeps failing, with a reload (no container stops); or install a timer that does it every few hours'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "cache" -d 'A team\'s pull-through cache: set up docker-registry in front of the best mirror, check it, fill it'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "metrics" -d 'Prometheus metrics from the probe history, watch and the cache: printed, written for node_exporter\'s textfile collector, or served on /metrics'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "restore" -d 'Put the newest backup of daemon.json back, with the same restart, verification and rollback as apply'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and not __fish_seen_subcommand_from list probe apply show doctor proxy catalogue completions man history report watch cache metrics restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from proxy" -f -a "set" -d 'Pull through this proxy (HTTP and HTTPS), with the same backup, restart, verification and rollback as apply'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from proxy" -f -a "show" -d 'Show the proxy in daemon.json, in the systemd drop-in, and in the live daemon (passwords masked)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from proxy" -f -a "unset" -d 'Remove the proxy from daemon.json and the drop-in'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from catalogue" -f -a "update" -d 'Fetch a catalogue and its minisign signature (FILE.minisig), verify both, and use it from now on'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "setup" -d 'Configure docker-registry as a pull-through cache of the best mirror (or --upstream), restart it, prove a pull through it works, and roll back when it does not'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "status" -d 'The cache\'s upstream and its last probe, whether /v2/ answers, storage used, and what it served'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "warm" -d 'Pull images through the cache (every manifest and blob for the platforms, digests verified)'
complete -c mirrorctl -n "__fish_mirrorctl_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "restore" -d 'Put the registry\'s previous config.yml back, restart it and verify a pull through it (as setup does)'
