"""Mechanisms: one module per rule of the market, each a vectorised function over arrays.

The model's step calls them in a fixed order (see
:meth:`socialsim.model.SocialCommerceModel.step`):

* :mod:`~socialsim.mechanisms.needs`: budgets renew, needs open and lapse;
* :mod:`~socialsim.mechanisms.pricing`: platform price levels and promotions;
* :mod:`~socialsim.mechanisms.made_to_order`: C2M batches, unit cost and prices;
* :mod:`~socialsim.mechanisms.membership`: paid membership and price protection;
* :mod:`~socialsim.mechanisms.returns`: returns and settlement of shipped orders;
* :mod:`~socialsim.mechanisms.posts`: KOLs post and KOCs review;
* :mod:`~socialsim.mechanisms.word_of_mouth`: friends' recent purchases;
* :mod:`~socialsim.mechanisms.feeds`: social and algorithmic feeds;
* :mod:`~socialsim.mechanisms.livestream`: sessions, audiences, stock, followers;
* :mod:`~socialsim.mechanisms.offers`: the offers every exposure produces;
* :mod:`~socialsim.mechanisms.purchase`: conversion, one purchase per need, budget;
* :mod:`~socialsim.mechanisms.cross_border`: the personal import quota and tax;
* :mod:`~socialsim.mechanisms.group_buying`: groups, sharing, kanjia, completion;
* :mod:`~socialsim.mechanisms.resellers`: micro-store trees, commission, recruitment.
"""

__all__: list[str] = []
