"""Malformed and hostile input: one fixture per case, each a one-line error with the right exit.

The corpus (tests/fixtures/hostile/<kind>/<case>) holds one small file per case; CASES below
is its manifest: for each case the command that reads it, the exit code expected (2: bad
input; 1 where the command is a check that lists problems, ``rrr rules check`` and
``rrr rules import``; 0 for the few spellings that must be accepted) and fragments of the
one line the user must see (file, line, field and what was expected). Special files (a FIFO,
a symbolic link to /dev/zero, a directory named like a file, sparse oversized files) cannot be
committed: SPECIAL builds each in tmp_path. Cases that could hang or eat memory if a limit
regressed (alias bombs, FIFOs, /dev/zero, XML and zip bombs) run in a subprocess with an
address-space limit and a timeout, so a regression fails the test instead of the machine;
the timeout is a hang guard, not a speed assertion. Everything else runs in-process.

Together with tests/fixtures/bad_inputs, bad_rules, corebank and generality/bad this is the
project's catalogue of refused input.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from clirun import FIXTURES, ROOT, VN_PACK, errors, printed, rrr

HOSTILE = FIXTURES / "hostile"
OK_BANK = FIXTURES / "bad_inputs" / "ok_bank.yaml"
OK_BAL = FIXTURES / "bad_inputs" / "ok_balances.csv"
TABLE = "d1158-2977-2025"
ADDRESS_SPACE = 512 * 1024 * 1024  # a bomb must fail inside this, not swap the machine
HANG_GUARD = 60  # seconds; generous because the test machine is shared


@dataclass(frozen=True)
class Case:
    kind: str  # pack, check, institutions, balances, fx_rates, holdings, nightly institutions,
    # nightly balances, mapping, scenario, table
    fixture: str  # path under tests/fixtures/hostile (or a name SPECIAL builds)
    fragments: tuple[str, ...]
    code: int = 2
    target: str = "extra.yaml"  # for pack/check: the name the file takes in the pack


def case(kind: str, fixture: str, *fragments: str, code: int = 2,
         target: str = "extra.yaml") -> Case:
    return Case(kind, fixture, fragments, code, target)


NOT_PLAIN = "is not a number in plain decimal notation"
NOT_WHOLE = "is not a whole number in plain decimal notation"
NOT_DECIMAL = "is not a decimal number in plain notation"
NOT_AMOUNT = "is not a decimal amount in plain notation"

CASES: dict[str, Case] = {
    # --- rule pack files, read by rrr evaluate (exit 2) ---
    "pack: duplicated ratio key (the 3% / 30% case)": case(
        "pack", "pack/duplicate_ratio_key.yaml", "ratios.yaml:51: ratios.3.rows.2.values.vnd_short",
        "duplicate key (also on line 51)", target="ratios.yaml"),
    "pack: duplicated section": case("pack", "pack/duplicate_section.yaml",
                                     "extra.yaml:2: not_covered: duplicate key (also on line 1)"),
    "pack: duplicated key in a rule": case("pack", "pack/duplicate_nested_key.yaml",
                                           "extra.yaml:7: allowances.0.currency",
                                           "duplicate key (also on line 6)"),
    "pack: more than 100 aliases": case("pack", "pack/too_many_aliases.yaml", "extra.yaml:2:",
                                        "more than 100 aliases"),
    "pack: recursive alias": case("pack", "pack/recursive_alias.yaml", "extra.yaml:1:",
                                  "recursive alias"),
    "pack: undefined alias": case("pack", "pack/undefined_alias.yaml", "extra.yaml:1:",
                                  "invalid YAML", "undefined alias"),
    "pack: nesting 60 levels deep": case("pack", "pack/deep_nesting.yaml", "extra.yaml:1:",
                                         "nested more than 50 levels deep"),
    "pack: Latin-1 file": case("pack", "pack/latin1.yaml", "extra.yaml:1:",
                               "not UTF-8 text (byte 0xE9); save the file as UTF-8"),
    "pack: UTF-16 file": case("pack", "pack/utf16.yaml", "extra.yaml:1:",
                              "UTF-16 text; save it as UTF-8"),
    "pack: NUL byte": case("pack", "pack/nul_byte.yaml", "extra.yaml:2:", "invalid YAML",
                           "control characters are not allowed"),
    "pack: escaped NUL in a value": case("pack", "pack/nul_escape.yaml",
                                         "extra.yaml:1: not_covered.0", "NUL character"),
    "pack: control character": case("pack", "pack/control_character.yaml", "extra.yaml:2:",
                                    "control characters are not allowed"),
    "pack: empty file": case("pack", "pack/empty.yaml", "extra.yaml:1:",
                             "the file is empty (or holds only comments)"),
    "pack: only comments": case("pack", "pack/comments_only.yaml", "extra.yaml:1:",
                                "the file is empty (or holds only comments)"),
    "pack: a list where sections are expected": case("pack", "pack/top_level_list.yaml",
                                                     "extra.yaml:1:",
                                                     "a rule file is a mapping of sections"),
    "pack: plain text": case("pack", "pack/scalar_document.yaml", "extra.yaml:1:",
                             "a rule file is a mapping of sections"),
    "pack: two documents": case("pack", "pack/two_documents.yaml", "extra.yaml:2:",
                                "invalid YAML", "another document"),
    "pack: python tag": case("pack", "pack/python_tag.yaml", "extra.yaml:1:",
                             "could not determine a constructor"),
    "pack: !!bool on a word": case("pack", "pack/bool_tag_on_text.yaml",
                                   "extra.yaml:1: not_covered.0", "'maybe' cannot be read as bool"),
    "pack: !!timestamp on a word": case("pack", "pack/timestamp_tag_on_text.yaml",
                                        "extra.yaml:1: not_covered.0",
                                        "'soon' cannot be read as timestamp"),
    "pack: list as a key": case("pack", "pack/complex_key.yaml", "extra.yaml:1:",
                                "a key must be a plain value"),
    "pack: tab indentation": case("pack", "pack/tab_indentation.yaml", "extra.yaml:2:",
                                  "invalid YAML"),
    "pack: unclosed quote": case("pack", "pack/unclosed_quote.yaml", "extra.yaml:", "invalid YAML"),
    "pack: amount with underscores": case("pack", "pack/amount_underscore.yaml",
                                          "extra.yaml:7: allowances.0.amount", "'1_000'",
                                          NOT_WHOLE),
    "pack: octal amount": case("pack", "pack/amount_octal.yaml",
                               "extra.yaml:7: allowances.0.amount", "'010'", "no leading zero"),
    "pack: hexadecimal amount": case("pack", "pack/amount_hex.yaml",
                                     "extra.yaml:7: allowances.0.amount", "'0x1F'", NOT_WHOLE),
    "pack: sexagesimal amount": case("pack", "pack/amount_sexagesimal.yaml",
                                     "extra.yaml:7: allowances.0.amount", "'1:30'", NOT_WHOLE),
    "pack: exponent amount": case("pack", "pack/amount_exponent.yaml",
                                  "extra.yaml:7: allowances.0.amount", "'1.0e+999999999'",
                                  NOT_PLAIN),
    "pack: quoted exponent amount": case("pack", "pack/amount_exponent_quoted.yaml",
                                         "extra.yaml:7: allowances.0.amount", "'1E+999999999'",
                                         NOT_DECIMAL),
    "pack: Arabic-Indic digits": case("pack", "pack/amount_arabic_digits.yaml",
                                      "extra.yaml:7: allowances.0.amount", NOT_DECIMAL),
    "pack: 5000-digit integer": case("pack", "pack/amount_huge_integer.yaml",
                                     "extra.yaml:7: allowances.0.amount", "at most 30 digits"),
    "pack: .nan": case("pack", "pack/amount_nan.yaml", "extra.yaml:7: allowances.0.amount",
                       "'.nan'", NOT_PLAIN),
    "pack: yes as an amount": case("pack", "pack/amount_boolean.yaml",
                                   "extra.yaml:7: allowances.0.amount",
                                   "True is a true/false value, not a number"),
    "pack: 30 February": case("pack", "pack/impossible_date.yaml",
                              "extra.yaml:4: allowances.0.effective.from",
                              "'2025-02-30' is not a valid date"),
    # --- rrr rules check lists the problem (a failed check: exit 1) ---
    "check: duplicated ratio key": case(
        "check", "pack/duplicate_ratio_key.yaml", "ratios.yaml:51:",
        "ratios.3.rows.2.values.vnd_short: duplicate key (also on line 51)", code=1,
        target="ratios.yaml"),
    "check: deep nesting": case("check", "pack/deep_nesting.yaml", "extra.yaml:1:",
                                "nested more than 50 levels deep", code=1),
    # --- institutions files ---
    "institutions: duplicated key": case("institutions", "institutions/duplicate_key.yaml",
                                         "duplicate_key.yaml:4: 0.class",
                                         "duplicate key (also on line 3)"),
    "institutions: duplicated key in a flow mapping": case(
        "institutions", "institutions/duplicate_key_flow.yaml", "duplicate_key_flow.yaml:2: 0.id",
        "duplicate key (also on line 2)"),
    "institutions: duplicated key in an event": case(
        "institutions", "institutions/duplicate_key_in_event.yaml",
        "duplicate_key_in_event.yaml:5: 0.events.0.date", "duplicate key"),
    "institutions: escaped NUL in an id": case("institutions", "institutions/nul_escape_in_id.yaml",
                                               "nul_escape_in_id.yaml:2: 0.id", "NUL character"),
    "institutions: NUL byte": case("institutions", "institutions/nul_byte.yaml", "nul_byte.yaml:3:",
                                   "control characters are not allowed"),
    "institutions: bell in an id": case("institutions", "institutions/bell_in_id.yaml",
                                        "bell_in_id.yaml:2: 0.id", "U+0007",
                                        "an institution id is printable text"),
    "institutions: zero-width space in an id": case(
        "institutions", "institutions/zero_width_in_id.yaml", "zero_width_in_id.yaml:2: 0.id",
        "U+200B (ZERO WIDTH SPACE)"),
    "institutions: right-to-left override in an id": case(
        "institutions", "institutions/bidi_override_in_id.yaml", "bidi_override_in_id.yaml:2: 0.id",
        "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "institutions: id with a leading space": case(
        "institutions", "institutions/id_leading_space.yaml", "id_leading_space.yaml:2: 0.id",
        "begins or ends with a space"),
    "institutions: 100-character id": case("institutions", "institutions/id_too_long.yaml",
                                           "id_too_long.yaml:2: 0.id", "is 100 characters long",
                                           "at most 64"),
    "institutions: !!binary id": case("institutions", "institutions/binary_id.yaml",
                                      "binary_id.yaml:1: 0.id", "binary data (!!binary)"),
    "institutions: number as an id": case("institutions", "institutions/id_number.yaml",
                                          "id_number.yaml:2: 0.id", "valid string"),
    "institutions: newline in a name": case("institutions", "institutions/newline_in_name.yaml",
                                            "newline_in_name.yaml:2: 0.name", "U+000A"),
    "institutions: share with underscores": case(
        "institutions", "institutions/share_underscore.yaml",
        "share_underscore.yaml:2: 0.agri_lending_share", "'0.7_5'", NOT_DECIMAL),
    "institutions: share in Arabic-Indic digits": case(
        "institutions", "institutions/share_arabic_digits.yaml",
        "share_arabic_digits.yaml:2: 0.agri_lending_share", NOT_DECIMAL),
    "institutions: share with an exponent": case(
        "institutions", "institutions/share_exponent.yaml",
        "share_exponent.yaml:2: 0.agri_lending_share", "'1E-999999999'", NOT_DECIMAL),
    "institutions: unquoted exponent": case(
        "institutions", "institutions/share_unquoted_exponent.yaml",
        "share_unquoted_exponent.yaml:2: 0.agri_lending_share", "'7.5e-1'", NOT_PLAIN),
    "institutions: NaN share": case("institutions", "institutions/share_nan.yaml",
                                    "share_nan.yaml:2: 0.agri_lending_share", "'NaN'", NOT_DECIMAL),
    "institutions: yes as a ratio": case("institutions", "institutions/ratio_boolean.yaml",
                                         "ratio_boolean.yaml:2: 0.proposed_vnd_ratios.vnd_short",
                                         "true/false value"),
    "institutions: special control ends before it starts": case(
        "institutions", "institutions/events_end_before_start.yaml",
        "events_end_before_start.yaml:4: 0.events", "institution X1",
        "special_control_end on 2025-01-15 is before special_control_start on 2025-03-01"),
    "institutions: a second start without an end": case(
        "institutions", "institutions/events_second_start.yaml", "0.events", "institution X1",
        "special_control_start on 2025-03-01 while the special_control_start of 2025-01-15 has "
        "no special_control_end"),
    "institutions: operations before the licence": case(
        "institutions", "institutions/events_commenced_before_licensed.yaml", "0.events",
        "commenced_operations on 2025-01-02 is before licensed on 2025-03-01"),
    "institutions: support role ends before it starts": case(
        "institutions", "institutions/events_support_role_end_before_start.yaml", "0.events",
        "support_role_end on 2024-06-30 is before support_role_start on 2024-09-01"),
    "institutions: mandatory transfer ends before it starts": case(
        "institutions", "institutions/events_mandatory_transfer_end_before_start.yaml", "0.events",
        "mandatory_transfer_end on 2025-02-01 is before mandatory_transfer_start on 2025-04-01"),
    "institutions: two ends": case(
        "institutions", "institutions/events_two_ends.yaml", "0.events",
        "special_control_end on 2024-09-30 follows special_control_end on 2024-06-30 with no "
        "special_control_start between"),
    "institutions: licensed twice": case("institutions", "institutions/events_licensed_twice.yaml",
                                         "0.events",
                                         "two licensed events (2020-01-01 and 2021-01-01)"),
    "institutions: end listed before a same-day start": case(
        "institutions", "institutions/events_same_day_end_first.yaml", "0.events",
        "special_control_end on 2025-03-01 is before special_control_start on 2025-03-01"),
    "institutions: 30 February unquoted": case(
        "institutions", "institutions/event_date_impossible.yaml",
        "event_date_impossible.yaml:5: 0.events.0.date", "'2025-02-30' is not a valid date"),
    "institutions: events as a mapping": case("institutions", "institutions/events_not_a_list.yaml",
                                              "events_not_a_list.yaml:4: 0.events", "tuple"),
    "institutions: Latin-1 file": case("institutions", "institutions/latin1.yaml", "latin1.yaml:1:",
                                       "not UTF-8 text (byte 0xE2); save the file as UTF-8"),
    "institutions: UTF-16 file": case("institutions", "institutions/utf16.yaml", "utf16.yaml:1:",
                                      "UTF-16"),
    "institutions: empty file": case("institutions", "institutions/empty.yaml", "empty.yaml:1:",
                                     "the file is empty (or only comments)"),
    "institutions: only comments": case("institutions", "institutions/comments_only.yaml",
                                        "comments_only.yaml:1:", "the file is empty"),
    "institutions: a mapping where a list is expected": case(
        "institutions", "institutions/mapping_not_list.yaml", "mapping_not_list.yaml:1:",
        "expected a non-empty list of institutions"),
    "institutions: empty list": case("institutions", "institutions/empty_list.yaml",
                                     "empty_list.yaml:1:", "expected a non-empty list"),
    "institutions: list of strings": case("institutions", "institutions/list_of_strings.yaml",
                                          "list_of_strings.yaml:1: 0", "valid dictionary"),
    "institutions: nesting 60 levels deep": case("institutions", "institutions/deep_nesting.yaml",
                                                 "deep_nesting.yaml:3:", "nested more than 50"),
    "institutions: undefined alias": case("institutions", "institutions/undefined_alias.yaml",
                                          "undefined_alias.yaml:1:", "undefined alias"),
    "institutions: two documents": case("institutions", "institutions/two_documents.yaml",
                                        "two_documents.yaml:2:", "another document"),
    "institutions: JSON duplicate key": case("institutions", "institutions/duplicate_key.json",
                                             "duplicate_key.json: class",
                                             "duplicate key in a JSON object"),
    "institutions: JSON 5000-digit number": case("institutions", "institutions/huge_integer.json",
                                                 "huge_integer.json:", "more than 30 digits"),
    "institutions: JSON NaN": case("institutions", "institutions/nan.json", "nan.json:",
                                   "NaN is not a number"),
    "institutions: JSON exponent": case("institutions", "institutions/exponent.json",
                                        "exponent.json:", "'7.5e-1'", "plain decimal notation"),
    "institutions: JSON nested 3000 deep": case("institutions", "institutions/deep_nesting.json",
                                                "deep_nesting.json:", "nested more than 50"),
    "institutions: JSON syntax": case("institutions", "institutions/syntax.json", "syntax.json:1:",
                                      "invalid JSON"),
    "institutions: JSON in Latin-1": case("institutions", "institutions/latin1.json",
                                          "latin1.json:1:", "not UTF-8 text (byte 0xE2)"),
    "institutions: JSON NUL in an id": case("institutions", "institutions/nul_in_id.json",
                                            "nul_in_id.json: 0.id", "U+0000"),
    "institutions: YAML with a byte-order mark is read": case("institutions",
                                                              "institutions/bom.yaml", code=0),
    "institutions: JSON with a byte-order mark is read": case("institutions",
                                                              "institutions/bom.json", code=0),
    # --- balances CSV ---
    "balances: Latin-1": case("balances", "balances/latin1.csv", "latin1.csv:3:",
                              "not UTF-8 text (byte 0xE9); save the file as UTF-8"),
    "balances: UTF-16 (Excel 'Unicode text')": case("balances", "balances/utf16.csv",
                                                    "utf16.csv:1:", "UTF-16"),
    "balances: 50_050_000": case("balances", "balances/amount_underscore.csv",
                                 "amount_underscore.csv:2: amount", "'50_050_000'", NOT_AMOUNT),
    "balances: Arabic-Indic digits": case("balances", "balances/amount_arabic_digits.csv",
                                          "amount_arabic_digits.csv:2: amount", NOT_AMOUNT),
    "balances: full-width digits": case("balances", "balances/amount_fullwidth_digits.csv",
                                        "amount_fullwidth_digits.csv:2: amount", NOT_AMOUNT),
    "balances: 1E+999999999": case("balances", "balances/amount_exponent.csv",
                                   "amount_exponent.csv:2: amount", "'1E+999999999'", NOT_AMOUNT),
    "balances: 1e3": case("balances", "balances/amount_small_exponent.csv",
                          "amount_small_exponent.csv:2: amount", "'1e3'", NOT_AMOUNT),
    "balances: space as thousands separator": case("balances", "balances/amount_space.csv",
                                                   "amount_space.csv:2: amount", "'1 000'"),
    "balances: comma as thousands separator": case(
        "balances", "balances/amount_thousands_comma.csv", "amount_thousands_comma.csv:2: amount",
        "'1,000'"),
    "balances: NaN": case("balances", "balances/amount_nan.csv", "amount_nan.csv:2: amount",
                          "'NaN'"),
    "balances: Infinity": case("balances", "balances/amount_infinity.csv",
                               "amount_infinity.csv:2: amount", "'Infinity'"),
    "balances: 31 digits": case("balances", "balances/amount_too_many_digits.csv",
                                "amount_too_many_digits.csv:2: amount", NOT_AMOUNT),
    "balances: hexadecimal": case("balances", "balances/amount_hex.csv", "amount_hex.csv:2: amount",
                                  "'0x3E8'"),
    "balances: NUL byte": case("balances", "balances/nul_byte.csv", "nul_byte.csv:2:",
                               "contains a NUL byte"),
    "balances: bell in an id": case("balances", "balances/bell_in_id.csv",
                                    "bell_in_id.csv:2: institution_id", "U+0007"),
    "balances: zero-width space in an id": case("balances", "balances/zero_width_in_id.csv",
                                                "zero_width_in_id.csv:2: institution_id",
                                                "U+200B"),
    "balances: 100-character id": case("balances", "balances/id_too_long.csv",
                                       "id_too_long.csv:2: institution_id", "at most 64"),
    "balances: empty file": case("balances", "balances/empty.csv", "empty.csv:1:",
                                 "the file is empty; expected the header"),
    "balances: date in Arabic-Indic digits": case("balances", "balances/date_arabic_digits.csv",
                                                  "date_arabic_digits.csv:2: date",
                                                  "is not a date YYYY-MM-DD"),
    "balances: date 20250901": case("balances", "balances/date_compact.csv",
                                    "date_compact.csv:2: date", "'20250901' is not a date"),
    "balances: week date": case("balances", "balances/date_week.csv", "date_week.csv:2: date",
                                "'2025-W36-1' is not a date"),
    "balances: lower-case currency": case("balances", "balances/currency_lowercase.csv",
                                          "currency_lowercase.csv:2: currency", "'vnd'"),
    "balances: non-ASCII currency": case("balances", "balances/currency_non_ascii.csv",
                                         "currency_non_ascii.csv:2: currency", "'ĐNG'"),
    "balances: four columns": case("balances", "balances/too_few_columns.csv",
                                   "too_few_columns.csv:3:", "expected 5 columns, found 4"),
    "balances: lone carriage returns": case("balances", "balances/lone_carriage_return.csv",
                                            "lone_carriage_return.csv:1:", "lone carriage return"),
    "balances: unclosed quote": case("balances", "balances/unclosed_quote.csv",
                                     "unclosed_quote.csv:3:", "quoted field is not closed"),
    "balances: text after a closing quote": case("balances", "balances/text_after_quote.csv",
                                                 "text_after_quote.csv:2:", "malformed CSV"),
    "balances: CRLF line endings are read": case("balances", "balances/crlf.csv", code=0),
    "balances: a byte-order mark is read": case("balances", "balances/bom.csv", code=0),
    # --- FX rates and holdings ---
    "fx rates: the same rate twice": case("fx_rates", "fx_rates/duplicate_rate.csv",
                                          "duplicate_rate.csv:3:",
                                          "duplicate row (same date and currency as line 2)"),
    "fx rates: exponent": case("fx_rates", "fx_rates/rate_exponent.csv",
                               "rate_exponent.csv:2: vnd_per_unit", "'2.6E+4'"),
    "fx rates: Arabic-Indic digits": case("fx_rates", "fx_rates/rate_arabic_digits.csv",
                                          "rate_arabic_digits.csv:2: vnd_per_unit"),
    "holdings: the same row twice": case("holdings", "holdings/duplicate_row.csv",
                                         "duplicate_row.csv:3:", "as line 2"),
    "holdings: empty id": case("holdings", "holdings/empty_id.csv",
                               "empty_id.csv:2: institution_id", "is empty"),
    "holdings: 5_000": case("holdings", "holdings/amount_underscore.csv",
                            "amount_underscore.csv:2: amount", "'5_000'"),
    # --- the same host files read by rrr nightly ---
    "nightly: events out of order": case(
        "nightly institutions", "institutions/events_end_before_start.yaml",
        "events_end_before_start.yaml:4: 0.events", "special_control_end on 2025-01-15 is before"),
    "nightly: duplicated key in institutions": case(
        "nightly institutions", "institutions/duplicate_key.yaml", "duplicate_key.yaml:4: 0.class",
        "duplicate key (also on line 3)"),
    "nightly: Latin-1 balances": case("nightly balances", "balances/latin1.csv", "latin1.csv:3:",
                                      "not UTF-8 text (byte 0xE9)"),
    "nightly: 1E+999999999": case("nightly balances", "balances/amount_exponent.csv",
                                  "amount_exponent.csv:2: amount", NOT_AMOUNT),
    "nightly: 50_050_000": case("nightly balances", "balances/amount_underscore.csv",
                                "amount_underscore.csv:2: amount", NOT_AMOUNT),
    # --- core-bank mapping, read by rrr nightly ---
    "mapping: duplicated section": case("mapping", "mapping/duplicate_top_key.yaml",
                                        "duplicate_top_key.yaml:3: accounts",
                                        "duplicate key (also on line 2)"),
    "mapping: Latin-1": case("mapping", "mapping/latin1.yaml", "latin1.yaml:1:", "not UTF-8"),
    "mapping: nesting 60 levels deep": case("mapping", "mapping/deep_nesting.yaml",
                                            "deep_nesting.yaml:1:", "nested more than 50"),
    "mapping: only comments": case("mapping", "mapping/comments_only.yaml",
                                   "comments_only.yaml:1:", "the mapping file is empty"),
    "mapping: a list": case("mapping", "mapping/list.yaml", "list.yaml:1:",
                            "must be a YAML mapping"),
    "mapping: octal number": case("mapping", "mapping/octal_scale.yaml",
                                  "octal_scale.yaml:1: accounts.scale", "'010'"),
    # --- scenario files, read by rrr rules test ---
    "scenario: duplicated key": case("scenario", "scenario/duplicate_key.yaml",
                                     "duplicate_key.yaml:4: scenarios.0.period",
                                     "duplicate key (also on line 3)"),
    "scenario: amount with underscores": case("scenario", "scenario/amount_underscore.yaml",
                                              "amount_underscore.yaml:5:", "'1_000'", NOT_DECIMAL),
    "scenario: only comments": case("scenario", "scenario/empty.yaml", "empty.yaml:1:",
                                    "the file is empty"),
    # --- decision tables, read by rrr rules import ---
    "table: Latin-1 CSV": case("table", "table/latin1.csv", "latin1.csv:7:", "not UTF-8"),
    "table: text named .xlsx": case("table", "table/not_a_zip.xlsx", "not_a_zip.xlsx:",
                                    "not an XLSX file"),
    "table: ratio in Arabic-Indic digits": case("table", "table/ratio_arabic_digits.csv",
                                                "ratio_arabic_digits.csv:15:", "is not a ratio",
                                                code=1),
    "table: ratio with an exponent": case("table", "table/ratio_exponent.csv",
                                          "ratio_exponent.csv:15:", "'3E-2' is not a ratio",
                                          code=1),
}


def _pack_copy(tmp_path: Path, scenarios: bool = False) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(VN_PACK, pack,
                    ignore=None if scenarios else shutil.ignore_patterns("scenarios"))
    return pack


def command(kind: str, path: Path, tmp_path: Path, target: str = "extra.yaml") -> list[str]:
    """The rrr command line that reads ``path`` as a file of ``kind``."""
    options = {"--institutions": OK_BANK, "--balances": OK_BAL}
    if kind in ("pack", "check"):
        pack = _pack_copy(tmp_path)
        place(path, pack / target)
        if kind == "check":
            return ["rules", "check", str(pack)]
        return ["evaluate", "--rules", str(pack), "--institutions", str(OK_BANK), "--balances",
                str(OK_BAL), "--period", "2025-10"]
    if kind in ("institutions", "balances", "fx_rates", "holdings"):
        options[f"--{kind.replace('_', '-')}"] = path
        return ["evaluate", "--rules", str(VN_PACK), "--period", "2025-10",
                *[str(x) for pair in options.items() for x in pair]]
    if kind.startswith("nightly "):  # the same host files, read by the nightly job
        options[f"--{kind.split()[1]}"] = path
        return ["nightly", "--date", "2025-09-01", "--out", str(tmp_path / "out"),
                "--db", f"sqlite:///{tmp_path / 'out' / 'rrr.sqlite'}",
                *[str(x) for pair in options.items() for x in pair]]
    if kind == "mapping":
        return ["nightly", "--date", "2025-09-01", "--out", str(tmp_path / "out"),
                "--db", f"sqlite:///{tmp_path / 'out' / 'rrr.sqlite'}",
                "--institutions", str(OK_BANK),
                "--source", f"corebank_url=sqlite:///{tmp_path / 'bank.sqlite'}",
                "--source", f"corebank_mapping={path}"]
    if kind == "scenario":
        pack = _pack_copy(tmp_path)
        (pack / "scenarios").mkdir()
        place(path, pack / "scenarios" / path.name)
        return ["rules", "test", str(pack)]
    if kind == "table":
        return ["rules", "import", str(path), "--into", str(_pack_copy(tmp_path)), "--table", TABLE]
    raise AssertionError(kind)


def place(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` as it is: a copy of a file, or the special file itself."""
    if target.exists() or target.is_symlink():
        target.unlink()
    if source.is_file() and not source.is_symlink():
        shutil.copyfile(source, target)
    else:
        os.replace(source, target)


def assert_outcome(code: int, out: str, err: str, expected: Case) -> None:
    assert "Traceback" not in out + err
    assert code == expected.code, (code, out, err)
    if expected.code == 0:
        assert err == "", err
        return
    if expected.code == 1:  # a check that lists what is wrong: the problem is on stdout
        text = out
    else:
        # one error line; besides it only log lines (stderr is no terminal here) and the
        # run's warnings and notes, which a nightly prints whether it succeeds or fails
        lines = errors(err)
        others = [line for line in printed(err) if not line.startswith(("rrr: warning: ",
                                                                         "rrr: note: "))]
        assert len(lines) == 1 and others == lines, err
        text = lines[0]
    for fragment in expected.fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_is_refused_with_one_line(name, tmp_path, capsys):
    expected = CASES[name]
    args = command(expected.kind, HOSTILE / expected.fixture, tmp_path, expected.target)
    code, out, err = rrr(capsys, *args)
    assert_outcome(code, out, err, expected)


# --- special files and generated cases, built in tmp_path -------------------------------

def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "made" / name
    path.parent.mkdir(exist_ok=True)
    os.mkfifo(path)
    return path


def _dev_zero(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "made" / name
    path.parent.mkdir(exist_ok=True)
    path.symlink_to("/dev/zero")
    return path


def _directory(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "made" / name
    path.mkdir(parents=True)
    return path


def _sparse(size: int):
    def make(tmp_path: Path, name: str) -> Path:
        path = tmp_path / "made" / name
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as handle:
            handle.truncate(size)  # a hole: no disk used, but stat says ``size`` bytes
        return path
    return make


def _symlink_loop(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "made" / name
    path.parent.mkdir(exist_ok=True)
    path.symlink_to(name)  # itself, relatively: still a loop wherever it is moved
    return path


def _broken_symlink(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "made" / name
    path.parent.mkdir(exist_ok=True)
    path.symlink_to(tmp_path / "nowhere")
    return path


def _text(content: str):
    def make(tmp_path: Path, name: str) -> Path:
        path = tmp_path / "made" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="")
        return path
    return make


def _fixture(relative: str):
    def make(tmp_path: Path, name: str) -> Path:
        return HOSTILE / relative
    make.fixture = relative  # type: ignore[attr-defined]
    return make


def _xlsx(sheet: bytes, *, deflate: bool = True):
    """A workbook whose first sheet is ``sheet``: the parts Excel needs, nothing else."""
    def make(tmp_path: Path, name: str) -> Path:
        path = tmp_path / "made" / name
        path.parent.mkdir(exist_ok=True)
        parts = {
            "[Content_Types].xml": (
                b'<?xml version="1.0"?><Types '
                b'xmlns="http://schemas.openxmlformats.org/package/2006/'
                b'content-types"><Default Extension="rels" '
                b'ContentType="application/vnd.openxmlformats-'
                b'package.relationships+xml"/><Default Extension="xml" '
                b'ContentType="application/xml"/>'
                b'<Override PartName="/xl/workbook.xml" '
                b'ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
                b'sheet1.xml" '
                b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                b'worksheet+xml"/></Types>'),
            "_rels/.rels": (
                b'<?xml version="1.0"?><Relationships '
                b'xmlns="http://schemas.openxmlformats.org/package/'
                b'2006/relationships"><Relationship Id="rId1" '
                b'Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                b'</Relationships>'),
            "xl/workbook.xml": (
                b'<?xml version="1.0"?><workbook '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                b'<sheets><sheet name="table" sheetId="1" r:id="rId1"/></sheets></workbook>'),
            "xl/_rels/workbook.xml.rels": (
                b'<?xml version="1.0"?><Relationships '
                b'xmlns="http://schemas.openxmlformats.org/package/'
                b'2006/relationships"><Relationship Id="rId1" '
                b'Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                b'</Relationships>'),
            "xl/worksheets/sheet1.xml": sheet,
        }
        method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        with zipfile.ZipFile(path, "w", method) as archive:
            for part, data in parts.items():
                archive.writestr(part, data)
        return path
    return make


_SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
XML_BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                      for i in range(1, 10))
            + f']><worksheet {_SHEET_NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
            '&lol9;</t></is></c></row></sheetData></worksheet>').encode()
ZIP_BOMB = (f'<?xml version="1.0"?><worksheet {_SHEET_NS}><sheetData>'.encode()
            + b" " * (40 * 1024 * 1024) + b"</sheetData></worksheet>")
FLOW_VALUES = "- {id: X1, class: other_ci, events: [" + ",".join(["{}"] * 110_000) + "]}\n"
LONG_FIELD_LINE = "institution_id,date,category,currency,amount\nX1,2025-09-01,vnd_short,VND," \
    + "1" * 140_000 + "\n"
LONG_QUOTED_FIELD = "institution_id,date,category,currency,amount\nX1,2025-09-01,vnd_short,VND,\"" \
    + ("1" * 4000 + "\n") * 34 + "\"\n"
TABLE_TEXT = (ROOT / "tests" / "fixtures" / "hostile" / "table" / "ratio_exponent.csv").read_text(
    encoding="utf-8").replace("3E-2", "0.03")
MANY_ROWS = TABLE_TEXT + "other_ci,0.03,0.01,0.01,0.08,0.06,\n" * 10_000
LONG_CELL = TABLE_TEXT.replace("other_ci,0.03,", "other_ci," + "0" * 5000 + ",")


@dataclass(frozen=True)
class Special:
    kind: str
    make: object  # (tmp_path, name) -> Path
    name: str
    fragments: tuple[str, ...]
    subprocess: bool = False  # could hang or exhaust memory if a limit regressed
    code: int = 2
    target: str = "extra.yaml"


def special(kind, make, name, *fragments, subprocess=False, code=2, target="zz.yaml"):
    return Special(kind, make, name, fragments, subprocess, code, target)


SPECIAL: dict[str, Special] = {
    # alias bombs ("billion laughs"): 9^9 values if expanded
    "pack: alias bomb": special("pack", _fixture("pack/alias_bomb.yaml"), "bomb.yaml",
                                "zz.yaml:", "possible alias bomb", subprocess=True),
    "check: alias bomb": special("check", _fixture("pack/alias_bomb.yaml"), "bomb.yaml",
                                 "zz.yaml:", "possible alias bomb", subprocess=True, code=1),
    "institutions: alias bomb": special("institutions", _fixture("institutions/alias_bomb.yaml"),
                                        "", "alias_bomb.yaml:", "possible alias bomb",
                                        subprocess=True),
    "mapping: alias bomb": special("mapping", _fixture("mapping/alias_bomb.yaml"), "",
                                   "alias_bomb.yaml:", "possible alias bomb", subprocess=True),
    "scenario: alias bomb": special("scenario", _fixture("scenario/alias_bomb.yaml"), "",
                                    "alias_bomb.yaml:", "possible alias bomb", subprocess=True),
    # FIFOs: reading one blocks until a writer comes, i.e. forever
    "pack: FIFO named zz.yaml": special("pack", _fifo, "zz.yaml", "zz.yaml: is a named pipe (FIFO)",
                                        "expected a regular file", subprocess=True),
    "institutions: FIFO": special("institutions", _fifo, "banks.yaml",
                                  "banks.yaml: is a named pipe", subprocess=True),
    "balances: FIFO": special("balances", _fifo, "balances.csv", "balances.csv: is a named pipe",
                              subprocess=True),
    "mapping: FIFO": special("mapping", _fifo, "mapping.yaml", "mapping.yaml: is a named pipe",
                             subprocess=True),
    "nightly: institutions alias bomb": special(
        "nightly institutions", _fixture("institutions/alias_bomb.yaml"), "",
        "alias_bomb.yaml:", "possible alias bomb", subprocess=True),
    "nightly: FIFO as balances": special("nightly balances", _fifo, "balances.csv",
                                         "balances.csv: is a named pipe", subprocess=True),
    "table: FIFO": special("table", _fifo, "table.csv", "table.csv: is a named pipe",
                           subprocess=True),
    # symbolic links to /dev/zero: endless
    "pack: symlink to /dev/zero": special("pack", _dev_zero, "zz.yaml", "zz.yaml: is a device",
                                          subprocess=True),
    "institutions: symlink to /dev/zero": special("institutions", _dev_zero, "banks.yaml",
                                                  "banks.yaml: is a device", subprocess=True),
    "balances: symlink to /dev/zero": special("balances", _dev_zero, "balances.csv",
                                              "balances.csv: is a device", subprocess=True),
    "fx rates: symlink to /dev/zero": special("fx_rates", _dev_zero, "fx.csv",
                                              "fx.csv: is a device", subprocess=True),
    # workbook bombs
    "table: XML entity bomb in a sheet": special("table", _xlsx(XML_BOMB), "table.xlsx",
                                                 "table.xlsx:", "cannot read the workbook",
                                                 subprocess=True),
    "table: sheet unpacking to 40 MiB": special("table", _xlsx(ZIP_BOMB), "table.xlsx",
                                                "table.xlsx:", "the workbook unpacks to 40 MiB",
                                                subprocess=True),
    # directories named like files, loops, dangling links, oversized files
    "pack: directory named zz.yaml": special("pack", _directory, "zz.yaml",
                                             "zz.yaml: is a directory; expected a regular file"),
    "institutions: directory": special("institutions", _directory, "banks.yaml",
                                       "banks.yaml: is a directory"),
    "balances: directory": special("balances", _directory, "balances.csv",
                                   "balances.csv: is a directory"),
    "mapping: directory": special("mapping", _directory, "mapping.yaml",
                                  "mapping.yaml: is a directory"),
    "pack: symbolic link loop": special("pack", _symlink_loop, "zz.yaml", "zz.yaml:",
                                        "symbolic links"),
    "institutions: dangling symbolic link": special("institutions", _broken_symlink, "banks.yaml",
                                                    "banks.yaml: file not found"),
    "pack: 5 MiB file": special("pack", _sparse(5 * 1024 * 1024), "zz.yaml",
                                "zz.yaml: the file is 5.0 MiB; the limit is 4.0 MiB"),
    "institutions: 5 MiB file": special("institutions", _sparse(5 * 1024 * 1024), "banks.yaml",
                                        "banks.yaml: the file is 5.0 MiB"),
    "balances: 300 MiB file": special("balances", _sparse(300 * 1024 * 1024), "balances.csv",
                                      "balances.csv: the CSV file is 300.0 MiB; the limit is "
                                      "64.0 MiB"),
    "table: 9 MiB workbook": special("table", _sparse(9 * 1024 * 1024), "table.xlsx",
                                     "table.xlsx: the workbook is 9.0 MiB"),
    # huge lines and fields
    "institutions: 110,000 values on one line": special(
        "institutions", _text(FLOW_VALUES), "banks.yaml", "banks.yaml:1:",
        "more than 100000 values"),
    "balances: 140,000-character line": special("balances", _text(LONG_FIELD_LINE),
                                                "balances.csv", "balances.csv:2:",
                                                "line longer than 4096 bytes"),
    "balances: quoted field over 128 KiB": special("balances", _text(LONG_QUOTED_FIELD),
                                                   "balances.csv", "balances.csv:",
                                                   "a field is longer than 131072 characters"),
    "table: 10,003 rows": special("table", _text(MANY_ROWS), "table.csv", "table.csv:",
                                  "more than 10000 rows"),
    "table: 5,000-character cell": special("table", _text(LONG_CELL), "table.csv", "table.csv:15:",
                                           "the cell holds 5000 characters; at most 4096", code=1),
    # accepted: a byte-order mark in a rule file
    "pack: byte-order mark in a rule file": special(
        "pack", _text("\ufeff" + (VN_PACK / "interest.yaml").read_text(encoding="utf-8")),
        "interest.yaml", code=0, target="interest.yaml"),
}


def _limited() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_bounded(args: list[str]) -> tuple[int, str, str]:
    """``rrr ARGS`` in a child with an address-space limit and a hang guard."""
    env = {k: v for k, v in os.environ.items() if k != "RRR_DEBUG"}
    try:
        done = subprocess.run([sys.executable, "-m", "rrr_engine.cli.main", *args],
                              capture_output=True, text=True, timeout=HANG_GUARD,
                              preexec_fn=_limited, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"rrr {' '.join(args)} still running after {HANG_GUARD} s: it hangs")
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_or_generated_file_is_refused_with_one_line(name, tmp_path, capsys):
    spec = SPECIAL[name]
    path = spec.make(tmp_path, spec.name)
    args = command(spec.kind, path, tmp_path, spec.target)
    if spec.subprocess:
        code, out, err = run_bounded(args)
    else:
        code, out, err = rrr(capsys, *args)
    assert_outcome(code, out, err, Case(spec.kind, spec.name, spec.fragments, spec.code))


def test_the_corpus_is_one_fixture_per_case():
    """Every fixture file is a case of the manifest, and every case has its file."""
    named = {c.fixture for c in CASES.values()} | {
        s.make.fixture for s in SPECIAL.values() if hasattr(s.make, "fixture")}
    on_disk = {str(p.relative_to(HOSTILE)) for p in HOSTILE.rglob("*") if p.is_file()}
    assert named == on_disk
    assert len(CASES) + len(SPECIAL) >= 150


@pytest.mark.parametrize("period", ["9999-12", "0001-01", "1899-12"])
def test_period_far_outside_any_pack_is_bad_input(period, capsys):
    code, out, err = rrr(capsys, "evaluate", "--rules", VN_PACK, "--institutions", OK_BANK,
                         "--balances", OK_BAL, "--period", period)
    assert_outcome(code, out, err, Case("period", "", (
        f"period: {period} is outside the years 1900 to 2999",)))
