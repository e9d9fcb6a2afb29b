// Device discovery and the names users type for devices.
#include <gtest/gtest.h>

#include "attnscope/build_info.hpp"
#include "attnscope/platform.hpp"

using namespace attnscope;

TEST(Devices, CpuDescribesThisHost) {
  const DeviceInfo cpu = cpu_device();
  EXPECT_EQ(cpu.id, "cpu");
  EXPECT_EQ(cpu.kind, DeviceKind::Cpu);
  EXPECT_GE(cpu.cpu_threads, 1);
  EXPECT_NE(cpu.name.find(std::to_string(cpu.cpu_threads) + " threads"), std::string::npos) << cpu.name;
  EXPECT_GT(cpu.memory_total, uint64_t(64) << 20);
  EXPECT_GT(cpu.memory_free, 0u);
  EXPECT_LE(cpu.memory_free, cpu.memory_total);
  EXPECT_EQ(cpu.timer, "steady-clock");
}

TEST(Devices, DiscoveryListsCpuThenGpusThenProfilesAndSaysWhyNoGpu) {
  const DeviceList list = discover_devices();
  ASSERT_GE(list.devices.size(), 1 + what_if_profiles().size());
  EXPECT_EQ(list.devices.front().id, "cpu");
  std::size_t gpus = 0;
  for (const auto& d : list.devices) gpus += d.kind == DeviceKind::Cuda;
  for (std::size_t i = 0; i < what_if_profiles().size(); ++i)
    EXPECT_EQ(list.devices[1 + gpus + i].id, what_if_profiles()[i].id);
  if (gpus == 0) EXPECT_FALSE(list.why_no_gpu.empty());
  else EXPECT_TRUE(list.why_no_gpu.empty());
  if (!build::with_cuda()) {
    EXPECT_EQ(gpus, 0u);
    EXPECT_NE(list.why_no_gpu.find("without a CUDA toolkit"), std::string::npos) << list.why_no_gpu;
  }
}

namespace {
DeviceList fake_list(bool with_gpu) {
  DeviceList list;
  list.devices.push_back(cpu_device());
  if (with_gpu) {
    DeviceInfo g = *find_profile("a100");
    g.id = "cuda:0";
    g.kind = DeviceKind::Cuda;
    list.devices.push_back(g);
  } else {
    list.why_no_gpu = "no NVIDIA driver";
  }
  for (const auto& p : what_if_profiles()) list.devices.push_back(p);
  return list;
}
}  // namespace

TEST(Devices, ResolveAcceptsTheUsualSpellings) {
  const DeviceList list = fake_list(true);
  EXPECT_EQ(resolve_device(list, "cpu").id, "cpu");
  EXPECT_EQ(resolve_device(list, " CPU ").id, "cpu");
  EXPECT_EQ(resolve_device(list, "cuda:0").id, "cuda:0");
  EXPECT_EQ(resolve_device(list, "0").id, "cuda:0");
  EXPECT_EQ(resolve_device(list, "gpu").id, "cuda:0");
  EXPECT_EQ(resolve_device(list, "profile:t4").id, "profile:t4");
  EXPECT_EQ(resolve_device(list, "t4").id, "profile:t4");
  EXPECT_EQ(resolve_device(list, "H100").id, "profile:h100");
}

TEST(Devices, UnknownOrMissingDeviceNamesTheFieldAndTheChoices) {
  const DeviceList list = fake_list(false);
  for (const char* name : {"tpu", "gpu", "1", "cuda:3", ""}) {
    try {
      resolve_device(list, name);
      FAIL() << name << " resolved";
    } catch (const InvalidInput& e) {
      ASSERT_EQ(e.errors().size(), 1u);
      EXPECT_EQ(e.errors()[0].field, "device");
      EXPECT_NE(e.errors()[0].message.find("cpu, profile:t4"), std::string::npos) << e.what();
      EXPECT_NE(e.errors()[0].message.find("no NVIDIA driver"), std::string::npos) << e.what();
    }
  }
}

TEST(Devices, ProfilesCannotRunTheCpuCan) {
  try {
    make_executor(*find_profile("t4"));
    FAIL() << "a profile got an executor";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.errors()[0].field, "device");
    EXPECT_NE(std::string(e.what()).find("use them with `backends`"), std::string::npos) << e.what();
  }
  const auto exec = make_executor(cpu_device());
  ASSERT_NE(exec, nullptr);
  EXPECT_EQ(exec->device().id, "cpu");
}
