#include <fer/detect/cascade.hpp>

#include <filesystem>
#include <string>

#include "helpers.hpp"

namespace {

// A complete little cascade: a 4 x 4 window, one stage of one stump on a two-rectangle feature.
std::string tiny_cascade(const std::string& width = "4", const std::string& threshold = "-5.0e-01",
                         const std::string& nodes = "0 -1 0 1.5e-01",
                         const std::string& rects = "<_>0 0 4 2 -1.</_><_>0 2 4 2 1.</_>") {
    return "<?xml version=\"1.0\"?>\n<!-- a comment -->\n<opencv_storage>\n"
           "<cascade type_id=\"opencv-cascade-classifier\"><stageType>BOOST</stageType>\n"
           "<featureType>HAAR</featureType><height>4</height><width>" +
           width +
           "</width>\n"
           "<stageParams><maxWeakCount>1</maxWeakCount></stageParams>\n"
           "<featureParams><maxCatCount>0</maxCatCount></featureParams>\n"
           "<stageNum>1</stageNum><stages><_><maxWeakCount>1</maxWeakCount>\n"
           "<stageThreshold>" +
           threshold +
           "</stageThreshold><weakClassifiers><_>\n"
           "<internalNodes>" +
           nodes +
           "</internalNodes>\n"
           "<leafValues>-1. 1.</leafValues></_></weakClassifiers></_></stages>\n"
           "<features><_><rects>" +
           rects + "</rects></_></features></cascade>\n</opencv_storage>\n";
}

void check_rejected(const std::string& xml, const std::string& fragment) {
    INFO("expecting an error containing: ", fragment);
    CHECK_THROWS_WITH_AS(fer::parse_cascade(xml, "test.xml"), doctest::Contains(fragment.c_str()),
                         fer::error);
}

}  // namespace

TEST_CASE("a small valid cascade parses into the expected structure") {
    const fer::Cascade c = fer::parse_cascade(tiny_cascade());
    CHECK(c.feature_type == fer::CascadeFeatureType::haar);
    CHECK(c.window_width == 4);
    CHECK(c.window_height == 4);
    REQUIRE(c.stages.size() == 1);
    CHECK(c.stages[0].threshold == -0.5f - 1e-5f);
    REQUIRE(c.nodes.size() == 1);
    CHECK(c.nodes[0].threshold == 0.15f);
    CHECK(c.all_stumps);
    REQUIRE(c.haar_features.size() == 1);
    CHECK(c.haar_features[0].rect_count == 2);
    CHECK(c.haar_features[0].rects[1].rect == fer::Rect{0, 2, 4, 2});
}

TEST_CASE("every truncation of a cascade file is rejected") {
    const std::string xml = tiny_cascade();
    int accepted = 0;
    for (std::size_t n = 0; n + 1 < xml.size(); ++n) {  // the last byte is a newline
        try {
            fer::parse_cascade(xml.substr(0, n));
            ++accepted;
        } catch (const fer::error&) {
        }
    }
    CHECK(accepted == 0);
}

TEST_CASE("hostile and inconsistent cascades give fer::error naming the problem") {
    check_rejected(tiny_cascade("100000"),
                   "<width>: expected a whole number from 1 to 256, found 100000");
    check_rejected(tiny_cascade("4", "abc"),
                   "stage 0 threshold: expected a finite number, found 'abc'");
    check_rejected(tiny_cascade("4", "1e999"), "expected a finite number");
    check_rejected(tiny_cascade("4", "nan"), "expected a finite number");
    check_rejected(tiny_cascade("4", "1 2"), "stage 0 threshold: expected one number");
    check_rejected(tiny_cascade("4", "-0.5", "0 -1 7 0.1"),
                   "feature index: expected a whole number from 0 to 0");
    check_rejected(tiny_cascade("4", "-0.5", "0 -1 0"),
                   "internalNodes: expected a multiple of 4 numbers");
    check_rejected(tiny_cascade("4", "-0.5", "0 1 0 0.1 1 -1 0 0.2"),
                   "leafValues: expected 3 values");
    check_rejected(tiny_cascade("4", "-0.5", "0 -1 0 0.5", "<_>2 0 4 2 -1.</_>"),
                   "rectangles inside the 4x4 window");
    check_rejected(tiny_cascade("4", "-0.5", "0 -1 0 0.5", "<_>0 0 4 2</_>"), "5 numbers");
    // A tree whose node points back at itself would never end.
    std::string looping = tiny_cascade("4", "-0.5", "0 1 0 0.1 1 -1 0 0.2");
    looping.replace(looping.find("-1. 1."), 6, "-1. 1. 2.");
    check_rejected(looping, "children: expected leaves or nodes after node 1");

    check_rejected("", "expected the root element");
    check_rejected("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><opencv_storage/>",
                   "document type declaration");
    check_rejected("<opencv_storage><cascade>&bogus;</cascade></opencv_storage>", "'&bogus;'");
    check_rejected("<opencv_storage><a></b></opencv_storage>", "expected </a>, found </b>");
    std::string deep = "<opencv_storage>";
    for (int i = 0; i < 100; ++i) deep += "<a>";
    check_rejected(deep, "nesting at most 32 deep");
    check_rejected(
        "<opencv_storage><haarcascade_frontalface_alt type_id=\"opencv-haar-classifier\"><size>20 "
        "20</size>"
        "</haarcascade_frontalface_alt></opencv_storage>",
        "old opencv-haar-classifier format");
    check_rejected("<nonsense/>", "root element: expected <opencv_storage>");
    CHECK_THROWS_WITH_AS(fer::load_cascade("/nonexistent/cascade.xml"),
                         doctest::Contains("cannot open"), fer::error);
}

TEST_CASE("every cascade that Debian's opencv-data ships loads, or is refused as old-format") {
    int loaded = 0, old_format = 0;
    for (const char* dir : {"/usr/share/opencv4/haarcascades", "/usr/share/opencv4/lbpcascades"}) {
        if (!std::filesystem::exists(dir)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            INFO(entry.path().string());
            try {
                const fer::Cascade c = fer::load_cascade(entry.path().string());
                CHECK(!c.stages.empty());
                ++loaded;
            } catch (const fer::error& e) {
                // haarcascade_licence_plate_rus_16stages.xml still uses the pre-2.0 layout.
                CHECK(std::string(e.what()).find("old opencv-haar-classifier format") !=
                      std::string::npos);
                ++old_format;
            }
        }
    }
    CHECK(old_format <= 1);
    if (loaded == 0)
        MESSAGE("skipped: opencv-data is not installed");
    else
        CHECK(loaded >= 20);
}
