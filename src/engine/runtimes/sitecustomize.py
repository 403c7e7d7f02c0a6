# ferry: botocore releases before 1.31 (Debian 12's boto3 1.26, and the botocore inside its
# awscli 2.9) ignore AWS_ENDPOINT_URL. Unchanged function code must still reach ferry, so
# clients made without an endpoint_url get the one the environment names. The same file on
# PYTHONPATH lets Debian's `aws cloudformation package`, which makes its S3 client without
# --endpoint-url, upload to ferry. botocore.session is patched when it is first
# imported, not here: importing botocore costs every Python process a tenth of a second.
import os
import sys

_URL = os.environ.get("AWS_ENDPOINT_URL")


def _patch(mod):
    orig = mod.Session.create_client

    def create_client(self, *args, **kwargs):
        if len(args) > 5:
            if args[5] is None:
                args = args[:5] + (_url_for(args[0] if args else kwargs.get("service_name")),) + args[6:]
        elif kwargs.get("endpoint_url") is None:
            name = args[0] if args else kwargs.get("service_name")
            kwargs["endpoint_url"] = _url_for(name)
        return orig(self, *args, **kwargs)

    mod.Session.create_client = create_client


def _url_for(service):
    key = "AWS_ENDPOINT_URL_" + str(service or "").upper().replace("-", "_").replace(" ", "_")
    return os.environ.get(key) or _URL


def after_import(name, then):
    """Calls then(module) once module name is imported (at once if it is already): a hook on
    sys.meta_path that wraps the module's loader, so nothing is imported before it is."""
    if name in sys.modules:
        then(sys.modules[name])
        return
    import importlib.machinery

    class _Hook:
        def find_spec(self, fullname, path=None, target=None):
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
                return spec
            orig = spec.loader.exec_module

            def exec_module(module):
                orig(module)
                then(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _Hook())


if _URL:
    after_import("botocore.session", _patch)
    after_import("awscli.botocore.session", _patch)
