"""Review routes: staff under ``reviews:manage``; the store pushes with ``catalog:write``."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.reviews import phrases, services
from api.domain.reviews.enums import FollowUpStatus
from api.domain.reviews.schemas import (
    FollowUpUpdate,
    ForbiddenPhraseCreate,
    ForbiddenPhraseRead,
    ReplyCreate,
    ReviewPush,
    ReviewPushed,
    ReviewRead,
    ReviewSettings,
    ReviewSettingsUpdate,
)
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["ReviewController", "StoreReviewController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Audit = NamedDependency[AuditContext]


def _user(scope: ShopScope) -> uuid.UUID:
    assert scope.user_id is not None  # staff permissions admit staff only
    return scope.user_id


class ReviewController(Controller):
    path = "/reviews"
    tags = ["reviews"]

    @get("/", **requires("reviews:manage"))
    async def list_reviews(
        self, shop_session: Session, shop_scope: Scope,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        negative: Annotated[bool | None, QueryParameter()] = None,
        replied: Annotated[bool | None, QueryParameter()] = None,
        follow_up: Annotated[FollowUpStatus | None, QueryParameter()] = None,
    ) -> Page[ReviewRead]:
        """Buyers' reviews, newest first; ``negative`` is rating ≤ the shop's threshold (中差评)."""
        return await services.list_reviews(shop_session, shop_scope.shop_id, limit=limit,
                                           cursor=cursor, negative=negative, replied=replied,
                                           follow_up=follow_up)

    @get("/{review_id:uuid}", **requires("reviews:manage"))
    async def get_review(self, shop_session: Session, shop_scope: Scope,
                         review_id: FromPath[uuid.UUID]) -> ReviewRead:
        return await services.get_review(shop_session, shop_scope.shop_id, review_id)

    @post("/{review_id:uuid}/reply", **requires("reviews:manage"))
    @idempotent
    async def reply(self, shop_session: Session, shop_scope: Scope, audit_context: Audit,
                    review_id: FromPath[uuid.UUID], data: JSONBody[ReplyCreate]) -> ReviewRead:
        """The review's one public reply, checked against the forbidden phrases; sent to the
        store as a store action."""
        return await services.reply(shop_session, shop_scope.shop_id, review_id, data.body,
                                    _user(shop_scope), audit_context)

    @post("/{review_id:uuid}/reply/retry", **requires("reviews:manage"))
    async def retry_reply(self, shop_session: Session, shop_scope: Scope, audit_context: Audit,
                          review_id: FromPath[uuid.UUID]) -> ReviewRead:
        """Send a reply the store failed once more (the same store action, one more attempt)."""
        return await services.retry_reply(shop_session, shop_scope.shop_id, review_id,
                                          _user(shop_scope), audit_context)

    @patch("/{review_id:uuid}/follow-up", **requires("reviews:manage"))
    async def update_follow_up(self, shop_session: Session, shop_scope: Scope,
                               audit_context: Audit, review_id: FromPath[uuid.UUID],
                               data: JSONBody[FollowUpUpdate]) -> ReviewRead:
        """Record the apology and the fix of a negative review; close it when both are done."""
        return await services.update_follow_up(shop_session, shop_scope.shop_id, review_id,
                                               data, _user(shop_scope), audit_context)

    @get("/settings", **requires("reviews:manage"))
    async def get_settings(self, shop_session: Session, shop_scope: Scope) -> ReviewSettings:
        return ReviewSettings(await phrases.settings(shop_session, shop_scope.shop_id))

    @patch("/settings", **requires("reviews:manage"))
    async def update_settings(self, shop_session: Session, shop_scope: Scope,
                              audit_context: Audit, data: JSONBody[ReviewSettingsUpdate]
                              ) -> ReviewSettings:
        return ReviewSettings(await phrases.update_threshold(
            shop_session, shop_scope.shop_id, data.negative_threshold, _user(shop_scope),
            audit_context))

    @get("/forbidden-phrases", **requires("reviews:manage"))
    async def list_phrases(self, shop_session: Session, shop_scope: Scope) -> list[ForbiddenPhraseRead]:
        """The shop's forbidden phrases (defaults in Chinese and English on first use)."""
        rows = await phrases.list_phrases(shop_session, shop_scope.shop_id)
        return [ForbiddenPhraseRead(id=r.id, phrase=r.phrase, created_at=r.created_at) for r in rows]

    @post("/forbidden-phrases", **requires("reviews:manage"))
    @idempotent
    async def add_phrase(self, shop_session: Session, shop_scope: Scope, audit_context: Audit,
                         data: JSONBody[ForbiddenPhraseCreate]) -> ForbiddenPhraseRead:
        row = await phrases.add_phrase(shop_session, shop_scope.shop_id, data.phrase,
                                       _user(shop_scope), audit_context)
        return ForbiddenPhraseRead(id=row.id, phrase=row.phrase, created_at=row.created_at)

    @delete("/forbidden-phrases/{phrase_id:uuid}", **requires("reviews:manage"))
    async def delete_phrase(self, shop_session: Session, shop_scope: Scope, audit_context: Audit,
                            phrase_id: FromPath[uuid.UUID]) -> None:
        await phrases.delete_phrase(shop_session, shop_scope.shop_id, phrase_id, audit_context)


class StoreReviewController(Controller):
    """What the store pushes in: upserts by the store's review id, idempotent."""

    path = "/sync/reviews"
    tags = ["reviews", "store-sync"]

    @put("/", **requires("catalog:write"))
    async def push_review(self, shop_session: Session, shop_scope: Scope, audit_context: Audit,
                          data: JSONBody[ReviewPush]) -> Response[ReviewPushed]:
        """Upsert a buyer's review by ``platform_id`` (201 when new); a changed push is the
        buyer's amendment."""
        pushed = await services.push_review(shop_session, shop_scope.shop_id, data, audit_context)
        return Response(pushed, status_code=201 if pushed.created else 200)
