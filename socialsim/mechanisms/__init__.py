"""Mechanisms: one module per rule of the market, each a vectorised function over arrays.

The model's step calls them in a fixed order (see
:meth:`socialsim.model.SocialCommerceModel.step`):

* :mod:`~socialsim.mechanisms.needs`: budgets renew, needs open and lapse;
* :mod:`~socialsim.mechanisms.posts`: KOLs post and KOCs review;
* :mod:`~socialsim.mechanisms.word_of_mouth`: friends' recent purchases;
* :mod:`~socialsim.mechanisms.purchase`: conversion, one purchase per need, budget.
"""

__all__: list[str] = []
