#!/usr/bin/python3
"""Checks the resolved docker-compose configuration (the output of `docker-compose config`, on stdin)
against the workshop's rules: the seed's services are there, every image is pinned (no `latest`), every
service is on the host network and has a health check (redis_exporter's scratch image excepted), every
bind-mounted host path exists, and the config files mounted are exactly those of the native run (argv:
stack dir, then the native run's config files), plus Grafana's, which only the Docker run has.
Usage: docker-compose config | compose_check.py <stack dir> <native config file>..."""
import os
import sys

import yaml

SEED_SERVICES = {"prometheus", "grafana", "rabbitmq", "postgres", "valkey", "node_exporter",
                 "postgres_exporter", "redis_exporter", "blackbox_exporter", "alertmanager"}
NO_HEALTHCHECK = {"redis_exporter"}  # FROM scratch: no program to run a check with
DOCKER_ONLY = {"grafana/provisioning", "grafana/dashboards"}


def bind_sources(svc):
    for v in svc.get("volumes", []):
        if isinstance(v, dict):
            if v.get("type") == "bind":
                yield v["source"], v["target"]
            continue
        parts = v.split(":")
        if parts[0].startswith(("/", ".")):
            yield parts[0], parts[1]


def main():
    stack = os.path.realpath(sys.argv[1])
    native = {os.path.relpath(os.path.realpath(p), stack) for p in sys.argv[2:]}
    cfg = yaml.safe_load(sys.stdin)
    services = cfg["services"]
    bad = []
    missing = SEED_SERVICES - services.keys()
    if missing:
        bad.append(f"missing services: {sorted(missing)}")
    mounted = set()
    for name, svc in services.items():
        image = svc.get("image", "")
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
        if not tag or tag == "latest":
            bad.append(f"{name}: image {image!r} is not pinned")
        if svc.get("network_mode") != "host":
            bad.append(f"{name}: not on network_mode host")
        if name not in NO_HEALTHCHECK and not svc.get("healthcheck", {}).get("test"):
            bad.append(f"{name}: no healthcheck")
        for src, target in bind_sources(svc):
            if not os.path.exists(src):
                bad.append(f"{name}: mounted {src} does not exist")
            real = os.path.realpath(src)
            if real.startswith(stack + os.sep):
                mounted.add(os.path.relpath(real, stack))
            elif src != "/":
                bad.append(f"{name}: mounts {src} from outside stack/")
    for m in sorted(mounted - native - DOCKER_ONLY):
        bad.append(f"compose mounts {m}, which the native run does not use")
    for n in sorted(native - mounted):
        bad.append(f"native run uses {n}, which compose does not mount")
    for b in bad:
        print("FAIL:", b)
    print(f"{len(services)} services, {len(mounted)} mounted config paths checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
