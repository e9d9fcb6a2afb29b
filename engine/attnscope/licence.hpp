#pragma once
// AttnScope's licence as the programs state it (`--version`, and from there the man pages; the app's
// About box). LICENSE holds the text; README.md's Licence section the licences of what AttnScope uses.
namespace attnscope {

inline constexpr const char* kLicenceNotice =
    "Copyright (C) 2026 the AttnScope developers.\n"
    "License GPL-3.0-or-later: GNU GPL version 3 or later <https://www.gnu.org/licenses/gpl.html>.\n"
    "This is free software: you are free to change and redistribute it.\n"
    "There is NO WARRANTY, to the extent permitted by law.";

}  // namespace attnscope
