# shellcheck shell=bash
# Stand-in for the bashio library, as an app's scripts see it in the container:
#   BASHIO_OPTIONS  the app's options as the Supervisor hands them over (JSON file)
#   BASHIO_RECORD   where bashio::discovery appends {"service": ..., "config": ...}
#   BASHIO_DISCOVERY_FAILS  if set, bashio::discovery fails (the Supervisor refused)
# Semantics follow bashio's lib/config.sh, lib/var.sh, lib/log.sh and lib/discovery.sh:
# a missing option reads as the string "null" (or the default given), a string as
# itself, a list as one element a line, an empty list as nothing.

bashio::config() {
    local key=${1}
    local default_value=${2:-null}
    local value
    value=$(jq --raw-output --compact-output --arg key "${key}" '
        .[$key] as $v
        | if ($v | type) == "array" then $v[]
          elif $v == {} then empty
          else $v end' "${BASHIO_OPTIONS}")
    if [[ "${value}" == "null" ]]; then
        echo "${default_value}"
    else
        printf '%s' "${value}"
    fi
}

bashio::config.exists() {
    [[ "$(bashio::config "${1}")" != "null" ]]
}

bashio::config.has_value() {
    local value
    value=$(bashio::config "${1}")
    [[ "${value}" != "null" && -n "${value}" ]]
}

bashio::config.true() {
    [[ "$(bashio::config "${1}")" == "true" ]]
}

bashio::config.false() {
    [[ "$(bashio::config "${1}")" == "false" ]]
}

bashio::var.json() {
    local args=("$@")
    local filter='{}'
    local jq_args=()
    local i
    if ((${#args[@]} == 0 || ${#args[@]} % 2 == 1)); then
        bashio::log.error "bashio::var.json needs key/value pairs"
        return 1
    fi
    for ((i = 0; i < ${#args[@]}; i += 2)); do
        jq_args+=(--arg "k${i}" "${args[i]}")
        if [[ "${args[i + 1]:0:1}" == "^" ]]; then
            jq_args+=(--argjson "v${i}" "${args[i + 1]:1}")
        else
            jq_args+=(--arg "v${i}" "${args[i + 1]}")
        fi
        filter+=" | .[\$k${i}] = \$v${i}"
    done
    jq --null-input --compact-output "${jq_args[@]}" "${filter}"
}

bashio::discovery() {
    local service=${1}
    local config=${2}
    jq --null-input --compact-output --arg service "${service}" --argjson config "${config}" \
        '{service: $service, config: $config}' >>"${BASHIO_RECORD}"
    if [[ -n "${BASHIO_DISCOVERY_FAILS:-}" ]]; then
        return 1
    fi
    echo "0123456789abcdef0123456789abcdef"
}

bashio::log() {
    local level=${1}
    shift
    printf '%s: %s\n' "${level}" "$*"
}

bashio::log.trace() { :; }
bashio::log.debug() { bashio::log DEBUG "$@"; }
bashio::log.info() { bashio::log INFO "$@"; }
bashio::log.notice() { bashio::log NOTICE "$@"; }
bashio::log.warning() { bashio::log WARNING "$@"; }
bashio::log.error() { bashio::log ERROR "$@"; }
bashio::log.fatal() { bashio::log FATAL "$@"; }
