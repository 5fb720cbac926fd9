#include "search/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/file_util.h"
#include "search_test_util.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  CheckpointTest() : space_(testing::SmallSpace()) {
    folder_ = (fs::temp_directory_path() / ("edgenas_checkpoint_test_" + std::to_string(::getpid()))).string();
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  ~CheckpointTest() override { fs::remove_all(folder_); }

  SearchState SomeState() {
    SearchState s;
    s.generation = 7;
    s.rng = Rng(42);
    s.rng.UniformInt(10);
    for (int i = 0; i < 5; ++i) s.population.push_back(Candidate{space_.Sample(s.rng)});
    s.best = s.population[2];
    s.evaluations = 123;
    s.history.push_back({1, 20, 81.5, 80.25, 0, 0});
    s.history.push_back({2, 40, std::nan(""), std::nan(""), 0.5, 3});
    s.objective_low = {-2, 1};
    s.objective_high = {3, 4};
    s.previous_seconds = 1.25;
    return s;
  }

  SearchSpace space_;
  std::string folder_;
};

TEST_F(CheckpointTest, RoundTripsEveryField) {
  const Checkpointer checkpointer(folder_, "recipe.yaml", "abc123");
  EXPECT_FALSE(checkpointer.Exists());
  const SearchState s = SomeState();
  checkpointer.Write(s);
  EXPECT_TRUE(checkpointer.Exists());
  SearchState r = checkpointer.Read(space_);
  EXPECT_EQ(r.generation, 7);
  EXPECT_EQ(r.rng.SaveState(), s.rng.SaveState());
  ASSERT_EQ(r.population.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(r.population[i].genome, s.population[i].genome);
    EXPECT_EQ(r.population[i].scores, nullptr);
  }
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.best->genome, s.best->genome);
  EXPECT_EQ(r.evaluations, 123);
  ASSERT_EQ(r.history.size(), 2u);
  EXPECT_EQ(r.history[0].best, 81.5);
  EXPECT_EQ(r.history[0].mean, 80.25);
  EXPECT_TRUE(std::isnan(r.history[1].best));
  EXPECT_EQ(r.history[1].front_size, 3);
  EXPECT_EQ(r.objective_low, s.objective_low);
  EXPECT_EQ(r.objective_high, s.objective_high);
  EXPECT_EQ(r.previous_seconds, 1.25);
  EXPECT_EQ(Checkpointer::RecipeOf(folder_), fs::absolute("recipe.yaml").string());
  // History rows are named fields.
  EXPECT_NE(ReadFile(checkpointer.path()).find(R"("front_size":3)"), std::string::npos);
  checkpointer.Remove();
  EXPECT_FALSE(checkpointer.Exists());
}

TEST_F(CheckpointTest, RefusesAChangedRecipeAndSaysWhyNothingResumes) {
  Checkpointer(folder_, "recipe.yaml", "abc123").Write(SomeState());
  const Checkpointer edited(folder_, "recipe.yaml", "def456");
  EXPECT_EQ(testing::ErrorOf([&] { edited.Read(space_); }),
            folder_ + "/checkpoint.json: the recipe recipe.yaml changed since the job started; start a new job instead");
  fs::remove(folder_ + "/checkpoint.json");
  EXPECT_EQ(testing::ErrorOf([&] { Checkpointer::RecipeOf(folder_); }), folder_ + ": no checkpoint.json to resume from");
  std::ofstream(folder_ + "/summary.json") << "{}";
  EXPECT_EQ(testing::ErrorOf([&] { edited.Read(space_); }),
            folder_ + ": the job has finished (summary.json is there); nothing to resume");
}

TEST_F(CheckpointTest, RejectsDamageAndGenomesOfAnotherSpace) {
  const Checkpointer checkpointer(folder_, "recipe.yaml", "abc123");
  std::ofstream(checkpointer.path()) << "{\"format\": 2, \"recipe\": ";
  EXPECT_EQ(testing::ErrorOf([&] { checkpointer.Read(space_); }).rfind(checkpointer.path() + ": damaged checkpoint: ", 0),
            0u);
  std::ofstream(checkpointer.path()) << "{\"format\": 1}";
  EXPECT_EQ(testing::ErrorOf([&] { checkpointer.Read(space_); }),
            checkpointer.path() + ": unknown checkpoint format (this edgenas writes format 2)");

  SpaceSpec other = space_.spec();
  other.stages.pop_back();
  checkpointer.Write(SomeState());
  const std::string error = testing::ErrorOf([&] { checkpointer.Read(SearchSpace(other)); });
  EXPECT_EQ(error.rfind(checkpointer.path() + ": holds a genome that does not fit space 'small': ", 0), 0u) << error;
}

}  // namespace
}  // namespace edgenas
