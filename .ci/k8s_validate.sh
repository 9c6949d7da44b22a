# shellcheck shell=bash
# Offline validation of Kubernetes manifests. Source it, then:
#   k8s_validate FILE...   validates every resource in the YAML files against Kubernetes
#                          $K8S_VALIDATE_KUBE's schemas (bundled with the package, no cluster, no
#                          network), strictly: unknown fields fail. Also fails on a file with no
#                          resource in it and on a kind/apiVersion it has no schema for (a typo
#                          such as batch/v2 is only a warning to the tool itself).
# The venv (pip's kubernetes-validate) is made once, at $HOME/.cache/automl-k8s-validate-venv.

K8S_VALIDATE_VERSION=1.37.0 # the package; it bundles the schemas of Kubernetes 1.25 to 1.37
K8S_VALIDATE_KUBE=1.30
K8S_VALIDATE_VENV="$HOME/.cache/automl-k8s-validate-venv"

k8s_validate() {
    if [ $# -eq 0 ]; then echo "usage: k8s_validate FILE..." >&2; return 2; fi
    local venv="$K8S_VALIDATE_VENV" out rc=0 f
    if [ "$("$venv/bin/kubernetes-validate" --version 2>/dev/null)" != "$K8S_VALIDATE_VERSION" ]; then
        rm -rf "$venv"
        python3 -m venv "$venv" || return 1
        "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$K8S_VALIDATE_VERSION" \
            || return 1
    fi
    out="$("$venv/bin/kubernetes-validate" --strict -k "$K8S_VALIDATE_KUBE" "$@" 2>&1)" || rc=1
    printf '%s\n' "$out"
    if grep -q '^WARN ' <<<"$out"; then rc=1; fi
    for f in "$@"; do
        if ! grep -qF "INFO $f passed for resource " <<<"$out"; then
            echo "k8s_validate: $f: no resource passed" >&2
            rc=1
        fi
    done
    return "$rc"
}
