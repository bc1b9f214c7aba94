// Umbrella header: everything an integrator needs.
#pragma once

#include "videocontrol/actor.hpp"
#include "videocontrol/bootstrap.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/config.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/password.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/result.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"
#include "videocontrol/version.hpp"
