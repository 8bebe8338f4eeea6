#include <catch2/catch.hpp>

#include "tensorio/npy.h"

using namespace quant;

TEST_CASE("npy round trip keeps type, shape and values", "[npy]") {
  const Tensor t = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6.5f});
  const std::string bytes = tensorio::serialize_npy(t);
  CHECK(bytes.size() % 64 == 24);  // header padded so that data starts at a multiple of 64
  CHECK(bytes.find("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") != std::string::npos);
  const Tensor back = tensorio::parse_npy(bytes, "mem.npy");
  CHECK(back.dtype() == DType::Float32);
  CHECK(back.shape() == Shape{2, 3});
  CHECK(back.data<float>()[5] == 6.5f);

  const Tensor v = Tensor::from_vector<int64_t>({3}, {7, -1, 9});
  const std::string vb = tensorio::serialize_npy(v);
  CHECK(vb.find("'shape': (3,)") != std::string::npos);
  CHECK(tensorio::parse_npy(vb, "v.npy").data<int64_t>()[1] == -1);
  const Tensor s = Tensor::scalar<uint8_t>(200);
  CHECK(tensorio::serialize_npy(s).find("'shape': ()") != std::string::npos);
  CHECK(tensorio::parse_npy(tensorio::serialize_npy(s), "s.npy").data<uint8_t>()[0] == 200);
}

TEST_CASE("malformed npy gives a parse error naming the file", "[npy]") {
  CHECK_THROWS_WITH(tensorio::parse_npy("hello", "x.npy"), Catch::Contains("x.npy: not a valid .npy file"));
  std::string bytes = tensorio::serialize_npy(Tensor::from_vector<float>({4}, {1, 2, 3, 4}));
  bytes.resize(bytes.size() - 4);  // one float short
  CHECK_THROWS_WITH(tensorio::parse_npy(bytes, "short.npy"), Catch::Contains("data has 12 bytes"));
  std::string fortran = tensorio::serialize_npy(Tensor::from_vector<float>({1}, {1}));
  fortran.replace(fortran.find("False"), 5, "True ");
  CHECK_THROWS_WITH(tensorio::parse_npy(fortran, "f.npy"), Catch::Contains("Fortran"));
}
