"""The commerce desk's second part (issue 8 items 5-7): every controller, mounted at once."""

from __future__ import annotations

from typing import Any

__all__ = ["desk_route_handlers"]


def desk_route_handlers() -> list[Any]:
    from api.domain.distribution.controllers import (
        DistributionController,
        StoreDistributionController,
    )
    from api.domain.marketing.controllers import MarketingController, StoreMarketingController
    from api.domain.mobile_cs.controllers import MobileCsController
    from api.domain.polls.controllers import PollController, StorePollController
    from api.domain.reviews.controllers import ReviewController, StoreReviewController
    from api.domain.storefront.controllers import StorefrontController
    from api.domain.trade.controllers import TradeController
    from api.domain.verifications.controllers import (
        StoreVerificationController,
        VerificationController,
    )
    from api.domain.wechat.controllers import WechatController
    from api.domain.weibo.controllers import StoreWeiboController, WeiboController

    return [ReviewController, StoreReviewController, DistributionController,
            StoreDistributionController, TradeController, WechatController, WeiboController,
            StoreWeiboController, MarketingController, StoreMarketingController,
            StorefrontController, MobileCsController, PollController, StorePollController,
            VerificationController, StoreVerificationController]
