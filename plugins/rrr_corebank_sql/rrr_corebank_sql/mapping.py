"""The mapping of a bank's own core-banking schema onto the reserve base.

It owns the shape of the mapping file (pydantic models, unknown keys refused) and the checks
that need the whole file, such as a rule naming a column the accounts section does not map.
It says where the data lives (accounts, end-of-day balances, FX rates, SBV payment accounts),
how amounts are stored, and the ordered classification rules that turn an account into one of
the reserve-base categories the rule pack declares (for Vietnam, those of Circular 30 Art. 8)
or an exclusion; which categories exist is the pack's word, checked by
:meth:`Mapping.category_problems` when the engine asks for balances. Loading from YAML with line
numbers lives in :mod:`rrr_corebank_sql.loader`; turning rules into SQL in
:mod:`rrr_corebank_sql.compiler`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AccountColumns",
    "Accounts",
    "Balances",
    "FxRates",
    "Holdings",
    "Join",
    "Mapping",
    "Rule",
]

# Plain SQL identifiers only: the mapping is reviewed by people who are not DBAs, and a quoted
# name with spaces or dots would make "alias.column" references ambiguous.
Ident = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
ColumnRef = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# a category the rule pack declares (checked against the pack's vocabulary when balances are read)
Category = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", max_length=64)]
# How an amount column is stored: "currency" = integer minor units of the row's currency,
# N = integer count of 10^-N units, absent = the column holds the exact decimal itself.
AmountScale = Literal["currency"] | Annotated[int, Field(ge=0, le=18)] | None


class _Model(BaseModel):
    # strict: YAML's 4211 (an int) must not quietly become "4211", nor "yes" become True.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class Join(_Model):
    """A lookup table joined (LEFT OUTER) to the accounts table, e.g. customers or products.

    ``keys`` maps an accounts-table column to the joined table's column; the joined columns
    must be unique there (a primary key), or balances would be counted twice. (Not ``on``:
    YAML 1.1 reads a bare ``on`` as the boolean true.)
    """

    table: Ident
    db_schema: Ident | None = Field(default=None, alias="schema")
    as_: Ident | None = Field(default=None, alias="as")
    keys: dict[Ident, Ident] = Field(min_length=1)

    @property
    def name(self) -> str:
        return self.as_ or self.table


class AccountColumns(_Model):
    """Columns describing an account; ``alias.column`` reads a joined table."""

    account_id: ColumnRef
    institution_id: ColumnRef | None = None
    currency: ColumnRef
    gl_account: ColumnRef | None = None
    term_months: ColumnRef | None = None
    depositor_type: ColumnRef | None = None
    margin: ColumnRef | None = None
    overseas_branch: ColumnRef | None = None


class Accounts(_Model):
    """The deposit accounts table and what each column means."""

    table: Ident
    db_schema: Ident | None = Field(default=None, alias="schema")
    institution_id: str | None = Field(default=None, min_length=1)
    columns: AccountColumns
    flags: dict[Ident, ColumnRef] = Field(default_factory=dict)
    joins: list[Join] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_institution_source(self) -> Accounts:
        if (self.institution_id is None) == (self.columns.institution_id is None):
            raise ValueError("give exactly one of institution_id (a constant) and "
                             "columns.institution_id (a column)")
        return self


class Balances(_Model):
    """End-of-day balances: one row per account and calendar day."""

    table: Ident
    db_schema: Ident | None = Field(default=None, alias="schema")
    account_id: Ident
    date: Ident
    amount: Ident
    scale: AmountScale = None


class FxRates(_Model):
    """Balance-sheet rates, VND per one unit of a currency."""

    table: Ident
    db_schema: Ident | None = Field(default=None, alias="schema")
    date: Ident
    currency: Ident
    vnd_per_unit: Ident
    scale: Annotated[int, Field(ge=0, le=18)] | None = None


class Holdings(_Model):
    """End-of-day balances of the institution's payment accounts at the SBV."""

    table: Ident
    db_schema: Ident | None = Field(default=None, alias="schema")
    institution_id: str | None = Field(default=None, min_length=1)
    institution_column: Ident | None = None
    date: Ident
    currency: Ident
    amount: Ident
    scale: AmountScale = None

    @model_validator(mode="after")
    def _one_institution_source(self) -> Holdings:
        if (self.institution_id is None) == (self.institution_column is None):
            raise ValueError("give exactly one of institution_id (a constant) and "
                             "institution_column (a column)")
        return self


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Rule(_Model):
    """One classification rule: every condition given must hold; none given matches all.

    Exactly one outcome: ``exclude: <reason>`` or ``category: <reserve-base category>``.
    Term bounds are inclusive and compare the original contractual term in months; a NULL
    term, currency or depositor type matches no condition on it. A NULL flag counts as false.
    """

    exclude: str | None = Field(default=None, min_length=1)
    category: Category | None = None
    gl_prefix: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None, min_length=1)
    currency: list[Currency] | None = Field(default=None, min_length=1)
    currency_not: list[Currency] | None = Field(default=None, min_length=1)
    term_months_min: Annotated[int, Field(ge=0)] | None = None
    term_months_max: Annotated[int, Field(ge=0)] | None = None
    depositor_type: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None,
                                                                             min_length=1)
    margin: bool | None = None
    overseas_branch: bool | None = None
    flags: dict[Ident, bool] = Field(default_factory=dict)

    @field_validator("gl_prefix", mode="before")
    @classmethod
    def _quoted_gl(cls, value: Any) -> Any:
        value = _as_list(value)
        if isinstance(value, list) and any(isinstance(v, int) for v in value):
            raise ValueError('write GL prefixes as quoted strings, e.g. "4211" '
                             "(an unquoted number loses leading zeros)")
        return value

    @field_validator("currency", "currency_not", "depositor_type", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _as_list(value)

    @model_validator(mode="after")
    def _one_outcome(self) -> Rule:
        if (self.exclude is None) == (self.category is None):
            raise ValueError("give exactly one of exclude: <reason> and category: <category>")
        if (self.term_months_min is not None and self.term_months_max is not None
                and self.term_months_min > self.term_months_max):
            raise ValueError(f"term_months_min {self.term_months_min} is above "
                             f"term_months_max {self.term_months_max}")
        return self

    @property
    def outcome(self) -> str:
        return f"category {self.category}" if self.category else f"excluded: {self.exclude}"


# Rule condition -> the accounts column it needs mapped.
_NEEDS = {"gl_prefix": "gl_account", "term_months_min": "term_months",
          "term_months_max": "term_months", "depositor_type": "depositor_type",
          "margin": "margin", "overseas_branch": "overseas_branch"}


class Mapping(_Model):
    """A whole mapping file. Call :meth:`problems` for the checks across sections."""

    version: Literal[1] = 1
    accounts: Accounts
    balances: Balances
    minor_units: dict[Currency, Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=dict)
    fx_rates: FxRates | None = None
    holdings: Holdings | None = None
    unmatched: Literal["error", "exclude"] = "error"
    classification: list[Rule] = Field(min_length=1)

    def category_problems(
            self, categories: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
        """Rules whose category the rule pack does not declare, as ``(location, message)``."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        for i, rule in enumerate(self.classification):
            if rule.category is None or rule.category in categories:
                continue
            near = difflib.get_close_matches(rule.category, categories, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            found.append((("classification", i, "category"), f"{rule.category!r} is not a "
                          f"category of the rule pack; {hint}it declares {', '.join(categories)}"))
        return found

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Cross-section problems as ``(location, message)``, in file order."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        acc = self.accounts
        names = [acc.table] + [j.name for j in acc.joins]
        for i, join in enumerate(acc.joins):
            if join.name in names[: i + 1]:
                found.append((("accounts", "joins", i), f"table name {join.name!r} is used twice; "
                              "give the join a distinct 'as:'"))
        refs = [(("accounts", "columns", k), v) for k, v in acc.columns.model_dump().items() if v]
        refs += [(("accounts", "flags", k), v) for k, v in acc.flags.items()]
        for loc, ref in refs:
            if "." in ref and ref.split(".")[0] not in names:
                found.append((loc, f"{ref!r} names table {ref.split('.')[0]!r}, which is neither "
                              f"the accounts table nor a join ({', '.join(names)})"))
        mapped = {k for k, v in acc.columns.model_dump().items() if v}
        for i, rule in enumerate(self.classification):
            for cond, column in _NEEDS.items():
                if getattr(rule, cond) is not None and column not in mapped:
                    found.append((("classification", i, cond),
                                  f"needs accounts.columns.{column}, which is not mapped"))
            for flag in rule.flags:
                if flag not in acc.flags:
                    found.append((("classification", i, "flags", flag),
                                  f"flag {flag!r} is not declared in accounts.flags"))
        for section in ("balances", "holdings"):
            block = getattr(self, section)
            if block is not None and block.scale == "currency" and not self.minor_units:
                found.append(((section, "scale"), "scale: currency needs a minor_units table "
                              "(e.g. {VND: 0, USD: 2})"))
        return found
