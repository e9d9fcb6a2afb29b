"""The reasons of PyTorch's can_use_* probes, wherever PyTorch puts them (no torch needed: the probe is faked)."""
import os
import unittest
import warnings

from attnscope_libs.torch_sdpa import _warnings_of

# What torch 2.11 printed on an H100 for can_use_flash_attention(params, True) at head dim 512.
C10_LINE = ("[W1206 20:04:52.081179141 sdp_utils.cpp:180] Warning: Flash attention requires q,k,v to have the same "
            "last dimension and to be less than or equal to 256. Got Query.size(-1): 512, Key.size(-1): 512, "
            "Value.size(-1): 512 instead. (function check_head_dim_size_flash)\n")


class TorchProbeReasons(unittest.TestCase):
    def test_reasons_printed_by_c10s_logger_are_collected(self):
        def probe():
            os.write(2, C10_LINE.encode())
            return False
        ok, texts = _warnings_of(probe)
        self.assertFalse(ok)
        self.assertEqual(texts, ["Flash attention requires q,k,v to have the same last dimension and to be less than "
                                 "or equal to 256. Got Query.size(-1): 512, Key.size(-1): 512, Value.size(-1): 512 "
                                 "instead."])

    def test_python_warnings_come_first_once_each_without_the_trigger_suffix(self):
        def probe():
            warnings.warn("Expected query, key and value to all be of dtype: {Half, BFloat16}. "
                          "(Triggered internally at /pytorch/aten/src/ATen/native/transformers/sdp_utils_cpp.h:91.)")
            os.write(2, C10_LINE.encode())
            os.write(2, C10_LINE.encode())
            return False
        ok, texts = _warnings_of(probe)
        self.assertEqual(len(texts), 2)
        self.assertEqual(texts[0], "Expected query, key and value to all be of dtype: {Half, BFloat16}.")
        self.assertTrue(texts[1].startswith("Flash attention requires"))

    def test_other_stderr_output_still_reaches_stderr_and_fd_2_is_restored(self):
        read_end, write_end = os.pipe()
        saved = os.dup(2)
        os.dup2(write_end, 2)
        try:
            ok, texts = _warnings_of(lambda: os.write(2, b"an unrelated log line\n" + C10_LINE.encode()) > 0)
            os.write(2, b"after\n")
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(write_end)
        passed_on = os.read(read_end, 65536).decode()
        os.close(read_end)
        self.assertTrue(ok)
        self.assertEqual(len(texts), 1)
        self.assertEqual(passed_on, "an unrelated log line\nafter\n")


if __name__ == "__main__":
    unittest.main()
