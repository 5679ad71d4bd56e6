#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "helpers.hpp"

int main(int argc, char** argv) {
    std::printf("random seed: %u (replay with FER_TEST_SEED=%u)\n", test::seed(), test::seed());
    doctest::Context context(argc, argv);
    return context.run();
}
