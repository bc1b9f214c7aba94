// VC_API marks what the shared library exports. The library is built with hidden visibility by
// default, so only declarations carrying VC_API (the public API) appear in its dynamic symbol
// table; everything else stays private to libvideocontrol.so (checked by a test with nm -D).
#pragma once

#if defined(_WIN32)
#define VC_API
#else
#define VC_API __attribute__((visibility("default")))
#endif
