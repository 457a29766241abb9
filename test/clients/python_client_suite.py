"""The Python Kubernetes client (Debian's python3-kubernetes) against the embedded API server.

Run by test/clients/python-client.test.ts with a kubeconfig and a namespace. Each check prints one JSON line
{"check": name, "ok": bool, "detail": ...}; an exception inside a check is a failed check, never a crash of the
suite. A non-Go, non-TypeScript client: it sends booleans as `True`, lists with its own paging, patches with the
content type its body implies, and reads 409s as ApiException.
"""

import json
import sys
import threading
import time
import traceback

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

GROUP, VERSION = "cluster.x-k8s.io", "v1beta1"
INFRA = {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "LocalMachine", "name": "x"}


def machine(name, ns, labels=None):
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Machine",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"clusterName": "py", "bootstrap": {"dataSecretName": "none"}, "infrastructureRef": INFRA},
    }


def machine_set(name, ns, replicas):
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "MachineSet",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "clusterName": "py",
            "replicas": replicas,
            "selector": {"matchLabels": {"set": name}},
            "template": {
                "metadata": {"labels": {"set": name}},
                "spec": {"clusterName": "py", "bootstrap": {"dataSecretName": "none"}, "infrastructureRef": INFRA},
            },
        },
    }


def main():
    kubeconfig, ns = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    custom = client.CustomObjectsApi()
    results = []

    def check(name):
        def wrap(fn):
            try:
                detail = fn()
                results.append({"check": name, "ok": True, "detail": detail})
            except Exception as e:  # noqa: BLE001 - every failure is a result
                results.append(
                    {"check": name, "ok": False, "detail": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
                )
            print(json.dumps(results[-1]), flush=True)
            return fn

        return wrap

    def machines(**kw):
        return custom.list_namespaced_custom_object(GROUP, VERSION, ns, "machines", **kw)

    @check("create namespace, list empty")
    def _():
        core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        got = machines()
        assert got["items"] == [], got["items"]
        assert got["metadata"]["resourceVersion"], got["metadata"]
        return got["metadata"]["resourceVersion"]

    @check("create, then 409 AlreadyExists on the same name")
    def _():
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "machines", machine("m1", ns, {"tier": "a"}))
        try:
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, "machines", machine("m1", ns))
        except ApiException as e:
            body = json.loads(e.body)
            assert e.status == 409 and body["reason"] == "AlreadyExists", (e.status, body)
            return body["message"]
        raise AssertionError("second create succeeded")

    @check("update with a stale resourceVersion: 409 Conflict")
    def _():
        m = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1")
        stale = dict(m)
        m["metadata"]["labels"]["tier"] = "b"
        custom.replace_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1", m)
        stale["metadata"]["labels"] = {"tier": "c"}
        try:
            custom.replace_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1", stale)
        except ApiException as e:
            body = json.loads(e.body)
            assert e.status == 409 and body["reason"] == "Conflict", (e.status, body)
            return body["message"]
        raise AssertionError("stale update succeeded")

    @check("merge patch on a custom object; a list sent as one is a 400 as Go words it; JSON patch by content type")
    def _():
        custom.patch_namespaced_custom_object(
            GROUP, VERSION, ns, "machines", "m1", {"metadata": {"annotations": {"py": "merge"}}}
        )
        json_patch = [{"op": "add", "path": "/metadata/labels/json", "value": "patch"}]
        # This client sends every custom-object patch as merge-patch+json: kube-apiserver refuses a list so.
        try:
            custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1", json_patch)
            raise AssertionError("a list accepted as a merge patch")
        except ApiException as e:
            body = json.loads(e.body)
            assert e.status == 400 and "cannot unmarshal array into Go value" in body["message"], body
        custom.api_client.call_api(
            f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/machines/m1",
            "PATCH",
            header_params={"Content-Type": "application/json-patch+json", "Accept": "application/json"},
            body=json_patch,
            auth_settings=["BearerToken"],
            response_type="object",
        )
        m = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1")
        assert m["metadata"]["annotations"]["py"] == "merge", m["metadata"]
        assert m["metadata"]["labels"]["json"] == "patch", m["metadata"]
        return m["metadata"]["labels"]

    @check("strategic merge patch on a built-in (ConfigMap), JSON patch test op failing with 422")
    def _():
        core.create_namespaced_config_map(ns, {"metadata": {"name": "cm"}, "data": {"a": "1"}})
        core.patch_namespaced_config_map("cm", ns, {"data": {"b": "2"}})
        cm = core.read_namespaced_config_map("cm", ns)
        assert cm.data == {"a": "1", "b": "2"}, cm.data
        try:
            core.patch_namespaced_config_map("cm", ns, [{"op": "test", "path": "/data/a", "value": "9"}])
        except ApiException as e:
            assert e.status == 422, (e.status, e.body)
            return json.loads(e.body)["reason"]
        raise AssertionError("a failing test op was applied")

    @check("list with limit and continue pages through every item once")
    def _():
        for i in range(2, 6):
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, "machines", machine(f"m{i}", ns))
        names, token, pages = [], None, 0
        while True:
            kw = {"limit": 2}
            if token:
                kw["_continue"] = token
            page = machines(**kw)
            pages += 1
            names += [m["metadata"]["name"] for m in page["items"]]
            token = page["metadata"].get("continue")
            if not token:
                break
        assert sorted(names) == ["m1", "m2", "m3", "m4", "m5"], names
        assert pages == 3, pages
        return {"pages": pages}

    @check("fieldSelector on metadata.name and labelSelector")
    def _():
        one = machines(field_selector="metadata.name=m3")
        assert [m["metadata"]["name"] for m in one["items"]] == ["m3"], one["items"]
        tier = machines(label_selector="tier=b")
        assert [m["metadata"]["name"] for m in tier["items"]] == ["m1"], tier["items"]
        none = machines(field_selector="metadata.namespace=elsewhere")
        assert none["items"] == [], none["items"]
        return "ok"

    @check("watch without resourceVersion: ADDED for every existing Machine, then ends at timeoutSeconds")
    def _():
        w = watch.Watch()
        seen = []
        t0 = time.time()
        for ev in w.stream(custom.list_namespaced_custom_object, GROUP, VERSION, ns, "machines", timeout_seconds=2):
            seen.append((ev["type"], ev["object"]["metadata"]["name"]))
        took = time.time() - t0
        assert sorted(seen) == [("ADDED", f"m{i}") for i in range(1, 6)], seen
        assert took < 30, took
        return {"events": len(seen)}

    @check("watch from a list's resourceVersion with bookmarks: only what changed after it")
    def _():
        rv = machines()["metadata"]["resourceVersion"]

        def change():
            time.sleep(0.5)
            custom.patch_namespaced_custom_object(
                GROUP, VERSION, ns, "machines", "m2", {"metadata": {"labels": {"changed": "yes"}}}
            )
            custom.delete_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m5")

        threading.Thread(target=change).start()
        w = watch.Watch()
        seen = []
        for ev in w.stream(
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            ns,
            "machines",
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=3,
        ):
            if ev["type"] == "BOOKMARK":
                continue
            seen.append((ev["type"], ev["object"]["metadata"]["name"]))
            if len(seen) == 2:
                w.stop()
        assert seen == [("MODIFIED", "m2"), ("DELETED", "m5")], seen
        return seen

    @check("scale subresource of a MachineSet: read, patch, and 409 on a stale replace")
    def _():
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "machinesets", machine_set("ms", ns, 1))
        s = custom.get_namespaced_custom_object_scale(GROUP, VERSION, ns, "machinesets", "ms")
        assert s["kind"] == "Scale" and s["spec"]["replicas"] == 1, s
        custom.patch_namespaced_custom_object_scale(GROUP, VERSION, ns, "machinesets", "ms", {"spec": {"replicas": 3}})
        ms = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "machinesets", "ms")
        assert ms["spec"]["replicas"] == 3, ms["spec"]
        stale = dict(s)
        stale["spec"] = {"replicas": 5}
        try:
            custom.replace_namespaced_custom_object_scale(GROUP, VERSION, ns, "machinesets", "ms", stale)
        except ApiException as e:
            assert e.status == 409, (e.status, e.body)
            return json.loads(e.body)["reason"]
        raise AssertionError("stale scale replace succeeded")

    @check("status subresource: a status patch changes status only, a main-resource patch leaves status alone")
    def _():
        custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, ns, "machines", "m1", {"status": {"phase": "Pending"}, "spec": {"clusterName": "nope"}}
        )
        m = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1")
        assert m["status"]["phase"] == "Pending" and m["spec"]["clusterName"] == "py", m
        custom.patch_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1", {"status": {"phase": "Running"}})
        m = custom.get_namespaced_custom_object(GROUP, VERSION, ns, "machines", "m1")
        assert m["status"]["phase"] == "Pending", m["status"]
        return m["status"]

    @check("not found is a 404 Status naming the object")
    def _():
        try:
            custom.get_namespaced_custom_object(GROUP, VERSION, ns, "machines", "nope")
        except ApiException as e:
            body = json.loads(e.body)
            assert e.status == 404 and body["reason"] == "NotFound" and "nope" in body["message"], body
            return body["message"]
        raise AssertionError("found")

    failed = [r for r in results if not r["ok"]]
    print(json.dumps({"summary": True, "checks": len(results), "failed": len(failed)}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
