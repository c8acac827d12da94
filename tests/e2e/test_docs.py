"""The README stays true to the code: every pack setting is listed under Interpretations."""

from clirun import ROOT, VN_PACK

from rrr_engine.rules.pack import load_pack


def interpretations_section():
    text = (ROOT / "README.md").read_text()
    start = text.index("## Interpretations")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_every_setting_of_the_vietnam_pack_is_in_the_readme():
    section = interpretations_section()
    pack = load_pack(VN_PACK)
    for name, setting in pack.settings.items():
        assert f"| `{name}` | `{str(setting.value).lower()}` |" in section, name


def test_readme_names_the_two_commands_that_ci_runs():
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()
