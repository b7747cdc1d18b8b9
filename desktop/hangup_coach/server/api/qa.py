"""The QA endpoints (docs/server.md, "QA review"): batches, their reviews, actions by command."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..domain.qa import MAX_BODY_BYTES, Qa, QaError


def qa_routes(qa: Qa, authorise, json_body) -> list[Route]:
    async def create_batch(request: Request):
        device = await authorise(request)
        body = await json_body(request, MAX_BODY_BYTES)
        return JSONResponse(await run_in_threadpool(qa.create_batch, device, body), status_code=201)

    async def list_batches(request: Request):
        device = await authorise(request)
        return JSONResponse({"batches": await run_in_threadpool(qa.batches, device)})

    async def get_batch(request: Request):
        device = await authorise(request)
        return JSONResponse(await run_in_threadpool(qa.batch, device, request.path_params["batch_id"]))

    async def batch_reviews(request: Request):
        device = await authorise(request)
        found = await run_in_threadpool(qa.batch_reviews, device, request.path_params["batch_id"])
        return JSONResponse({"reviews": found})

    async def my_reviews(request: Request):
        device = await authorise(request)
        return JSONResponse({"reviews": await run_in_threadpool(qa.my_reviews, device)})

    async def list_actions(request: Request):
        device = await authorise(request)
        return JSONResponse({"actions": await run_in_threadpool(qa.actions, device)})

    async def create_action(request: Request):
        device = await authorise(request)
        body = await json_body(request, MAX_BODY_BYTES)
        return JSONResponse(await run_in_threadpool(qa.create_action, device, body), status_code=201)

    async def action_status(request: Request):
        """A command: {"status": ..., "expected_version": N}; 409 when N is not the action's version."""
        device = await authorise(request)
        body = await json_body(request, 10_000)
        if not isinstance(body, dict) or set(body) != {"status", "expected_version"}:
            raise QaError('expected {"status", "expected_version"}')
        return JSONResponse(await run_in_threadpool(qa.set_status, device, request.path_params["action_id"],
                                                    body["status"], body["expected_version"]))

    return [
        Route("/v1/qa/batches", create_batch, methods=["POST"]),
        Route("/v1/qa/batches", list_batches, methods=["GET"]),
        Route("/v1/qa/batches/{batch_id}", get_batch),
        Route("/v1/qa/batches/{batch_id}/reviews", batch_reviews),
        Route("/v1/qa/my-reviews", my_reviews),
        Route("/v1/qa/actions", list_actions, methods=["GET"]),
        Route("/v1/qa/actions", create_action, methods=["POST"]),
        Route("/v1/qa/actions/{action_id}/status", action_status, methods=["POST"]),
    ]


async def on_qa_error(request: Request, exc: QaError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)
