#!/usr/bin/env python3
"""Writes clevertim-sync.toml(5) from config/clevertim-sync.toml.example.

The example is the configuration's one description: every key, its default (the value shown)
and the comment above it. This page is made from it at build time, so a key added there is
documented here without anyone editing the page. A key without a comment of its own shares the
comment above the previous key (connect_timeout and request_timeout, say) and is listed with it.

usage: config_man_page.py EXAMPLE VERSION OUTPUT
"""
import re
import sys


def roff(text):
    out = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + out if out.startswith((".", "'")) else out


def type_of(value):
    if value in ("true", "false"):
        return "boolean"
    if value.startswith("["):
        return "array of strings"
    if value.startswith('"'):
        inner = value.strip('"')
        if re.fullmatch(r"[0-9]+(ms|s|m|h)", inner):
            return "duration (a number and ms, s, m or h)"
        if re.fullmatch(r"[0-9]+(KiB|MiB|GiB)", inner):
            return "size (a number and KiB, MiB or GiB)"
        return "string"
    if re.fullmatch(r"-?[0-9]+", value):
        return "integer"
    return "number"


def parse(lines):
    """-> (header comment lines, [(section, [(key, value)], [comment lines])])"""
    header, groups, comment, section = [], [], [], ""
    seen_key = False
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith("#"):
            comment.append(line[2:] if line.startswith("# ") else line[1:])
        elif not line.strip():
            if not seen_key and comment and not header:
                header, comment = comment, []
        elif m := re.fullmatch(r"\[([A-Za-z0-9_.-]+)\]\s*", line):
            section = m.group(1)
        elif m := re.fullmatch(r"([A-Za-z0-9_]+)\s*=\s*(.*?)\s*", line):
            seen_key = True
            key = (section + "." if section else "") + m.group(1)
            if comment or not groups or groups[-1][0] != section:
                groups.append((section, [], comment))
                comment = []
            groups[-1][1].append((key, m.group(2)))
        else:
            sys.exit(f"config_man_page.py: cannot read this line of the example: {line!r}")
    return header, groups


def text(lines):
    """Comment lines -> roff: plain lines fill a paragraph, indented ones stay as they are."""
    out, verbatim = [], False
    for line in lines:
        indented = line.startswith("  ")
        if indented and not verbatim:
            out.append(".nf")
        if not indented and verbatim:
            out.append(".fi")
        verbatim = indented
        out.append(roff(line))
    if verbatim:
        out.append(".fi")
    return "\n".join(out)


def main():
    example, version, output = sys.argv[1:4]
    with open(example, encoding="utf-8") as f:
        header, groups = parse(f)
    page = [
        '.\\" Generated from config/clevertim-sync.toml.example by packaging/config_man_page.py:'
        " do not edit.",
        f'.TH CLEVERTIM\\-SYNC.TOML 5 "" "clevertim\\-sync {version}" "File Formats"',
        ".nh",
        ".ad l",
        ".SH NAME",
        "clevertim\\-sync.toml \\- configuration of clevertim\\-sync",
        ".SH SYNOPSIS",
        "/etc/clevertim\\-sync/clevertim\\-sync.toml",
        ".SH DESCRIPTION",
        text(header),
        ".PP",
        "The file is TOML (https://toml.io). Keys are listed below as SECTION.KEY, with their"
        " type and their default; a value on the command line (\\-\\-database, \\-\\-url,"
        " \\-\\-interval, \\-\\-log\\-level) overrides the file. The installed file is this"
        " page's source: every key set to its default, with these comments.",
        ".SH KEYS",
    ]
    section = None
    for sec, keys, comment in groups:
        if sec != section:
            page.append(f".SS [{sec}]" if sec else ".SS (top level)")
            section = sec
        for i, (key, value) in enumerate(keys):
            page.append(".TP" if i == 0 else ".TQ")
            page.append(f"\\fB{roff(key)}\\fR = {roff(value)} ({roff(type_of(value))})")
        page.append(text(comment) if comment else "See above.")
    page += [
        ".SH FILES",
        ".TP",
        "\\fB/etc/clevertim\\-sync/clevertim\\-sync.toml\\fR",
        "The configuration of clevertim\\-sync.service, clevertim\\-sync\\-once.service and"
        " clevertim\\-sync\\-backup.service (a conffile of the package).",
        ".TP",
        "\\fB/etc/clevertim\\-sync/ACCOUNT.toml\\fR",
        "The configuration of clevertim\\-sync@ACCOUNT.service, one of several accounts; its"
        " mirror is /var/lib/clevertim\\-sync/ACCOUNT/crm.db whatever storage.database says.",
        ".SH SEE ALSO",
        "\\fBclevertim\\-sync\\fR(1)",
    ]
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
