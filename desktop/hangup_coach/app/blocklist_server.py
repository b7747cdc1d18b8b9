"""Talking to the server's blocklist endpoints as the logged-in device: used by
`hangup-coach blocklist` and by the lead's review queue window (from a worker thread)."""

from __future__ import annotations

from .paths import AppPaths

EXIT_FAILED, EXIT_REFUSED = 1, 2


class BlocklistFailure(Exception):
    """A step that did not happen; the message says why, `code` is the command's exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class BlocklistServer:
    """The server this user logged in to (`hangup-coach login`), as that device."""

    def __init__(self, paths: AppPaths, timeout: float = 10.0) -> None:
        from ..sync.credentials import Credentials

        saved = Credentials(paths.config).load()
        if saved is None:
            raise BlocklistFailure("not logged in; run: hangup-coach login --server URL", EXIT_REFUSED)
        import httpx
        self.server = saved.server
        self.http = httpx.Client(base_url=saved.server, headers={"Authorization": f"Bearer {saved.token}"},
                                 timeout=timeout)

    def __enter__(self) -> "BlocklistServer":
        return self

    def __exit__(self, *exc) -> None:
        self.http.close()

    def get_json(self, path: str, **params):
        return self._request("GET", path, params=params).json()

    def get_text(self, path: str, **params) -> str:
        return self._request("GET", path, params=params).text

    def queue(self) -> dict:
        return self.get_json("/v1/blocklist/queue")

    def act(self, block: dict, action: str, note: str = "", expires_at: str | None = None) -> dict:
        """One step on a block as last seen (its version: 409 if someone else acted meanwhile)."""
        body: dict = {"expected_version": block["version"]}
        if note:
            body["note"] = note
        if expires_at:
            body["expires_at"] = expires_at
        return self.post_json(f"/v1/blocklist/{block['id']}/{action}", body)

    def post_json(self, path: str, body: dict):
        return self._request("POST", path, json=body).json()

    def delete_json(self, path: str, body: dict):
        return self._request("DELETE", path, json=body).json()

    def _request(self, method: str, path: str, **kwargs):
        import httpx
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BlocklistFailure(f"the server {self.server} cannot be reached ({type(exc).__name__}); "
                           "this step needs it, nothing was changed", EXIT_FAILED) from None
        if response.status_code >= 400:
            try:
                message = response.json().get("error", "")
            except ValueError:
                message = response.text[:200]
            code = EXIT_REFUSED if response.status_code in (401, 403, 409, 422) else EXIT_FAILED
            raise BlocklistFailure(f"the server said {response.status_code}: {message}", code)
        return response
