// CS2.cc: the C functions of CS2.h over libs2's C++ classes (S2CellId, S2RegionCoverer,
// S2Polyline, S2Polygon, S2Cap). Owns the region object behind TesseraS2Region and the
// relations between regions; validation of coordinates and GeoJSON structure is Swift's.
#include "CS2.h"

#include <s2/s1angle.h>
#include <s2/s2cap.h>
#include <s2/s2cell.h>
#include <s2/s2cell_id.h>
#include <s2/s2cell_union.h>
#include <s2/s2latlng.h>
#include <s2/s2loop.h>
#include <s2/s2polygon.h>
#include <s2/s2polyline.h>
#include <s2/s2region_coverer.h>
#include <s2/s2error.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

struct TesseraS2Region {
    enum class Kind { point, polyline, polygon, cap, collection };
    Kind kind = Kind::point;
    S2Point point;
    std::unique_ptr<S2Polyline> polyline;
    std::unique_ptr<S2Polygon> polygon;
    S2Cap cap;
    std::vector<const TesseraS2Region *> members;  // borrowed: the caller keeps them alive
};

namespace {

S2Point toPoint(double lat, double lng) {
    return S2LatLng::FromDegrees(lat, lng).Normalized().ToPoint();
}

void copyError(const std::string &message, char *error, size_t size) {
    if (error == nullptr || size == 0) return;
    size_t length = std::min(message.size(), size - 1);
    std::memcpy(error, message.data(), length);
    error[length] = 0;
}

std::vector<S2Point> points(const double *latlng, int32_t count) {
    std::vector<S2Point> result;
    result.reserve(static_cast<size_t>(std::max(count, 0)));
    for (int32_t i = 0; i < count; ++i) result.push_back(toPoint(latlng[2 * i], latlng[2 * i + 1]));
    return result;
}

int32_t writeCells(const std::vector<S2CellId> &cells, uint64_t *out, int32_t capacity) {
    int32_t count = static_cast<int32_t>(cells.size());
    for (int32_t i = 0; i < count && i < capacity; ++i) out[i] = cells[static_cast<size_t>(i)].id();
    return count;
}

void coverInto(const TesseraS2Region &region, S2RegionCoverer &coverer, std::vector<S2CellId> &cells) {
    switch (region.kind) {
    case TesseraS2Region::Kind::point: {
        S2CellId leaf(region.point);
        cells.push_back(leaf.parent(coverer.options().max_level()));
        break;
    }
    case TesseraS2Region::Kind::polyline: {
        std::vector<S2CellId> part;
        coverer.GetCovering(*region.polyline, &part);
        cells.insert(cells.end(), part.begin(), part.end());
        break;
    }
    case TesseraS2Region::Kind::polygon: {
        std::vector<S2CellId> part;
        coverer.GetCovering(*region.polygon, &part);
        cells.insert(cells.end(), part.begin(), part.end());
        break;
    }
    case TesseraS2Region::Kind::cap: {
        std::vector<S2CellId> part;
        coverer.GetCovering(region.cap, &part);
        cells.insert(cells.end(), part.begin(), part.end());
        break;
    }
    case TesseraS2Region::Kind::collection:
        for (const auto &member : region.members) coverInto(*member, coverer, cells);
        break;
    }
}

bool pointOnPolyline(const S2Polyline &line, const S2Point &point) {
    int next = 0;
    S2Point closest = line.Project(point, &next);
    return S1Angle(closest, point).radians() <= 1e-15;
}

bool containsPoint(const TesseraS2Region &region, const S2Point &point) {
    switch (region.kind) {
    case TesseraS2Region::Kind::point: return region.point == point;
    case TesseraS2Region::Kind::polyline: return pointOnPolyline(*region.polyline, point);
    case TesseraS2Region::Kind::polygon: return region.polygon->Contains(point);
    case TesseraS2Region::Kind::cap: return region.cap.Contains(point);
    case TesseraS2Region::Kind::collection:
        for (const auto &member : region.members) if (containsPoint(*member, point)) return true;
        return false;
    }
    return false;
}

bool contains(const TesseraS2Region &outer, const TesseraS2Region &inner);

bool verticesIn(const TesseraS2Region &outer, const std::vector<S2Point> &vertices) {
    for (const auto &vertex : vertices) if (!containsPoint(outer, vertex)) return false;
    return true;
}

std::vector<S2Point> polylineVertices(const S2Polyline &line) {
    std::vector<S2Point> result;
    for (int i = 0; i < line.num_vertices(); ++i) result.push_back(line.vertex(i));
    return result;
}

std::vector<S2Point> polygonVertices(const S2Polygon &polygon) {
    std::vector<S2Point> result;
    for (int l = 0; l < polygon.num_loops(); ++l) {
        const S2Loop *loop = polygon.loop(l);
        for (int i = 0; i < loop->num_vertices(); ++i) result.push_back(loop->vertex(i));
    }
    return result;
}

bool contains(const TesseraS2Region &outer, const TesseraS2Region &inner) {
    if (inner.kind == TesseraS2Region::Kind::collection) {
        for (const auto &member : inner.members) if (!contains(outer, *member)) return false;
        return true;
    }
    if (inner.kind == TesseraS2Region::Kind::point) return containsPoint(outer, inner.point);
    switch (outer.kind) {
    case TesseraS2Region::Kind::polygon:
        if (inner.kind == TesseraS2Region::Kind::polyline) return outer.polygon->Contains(*inner.polyline);
        if (inner.kind == TesseraS2Region::Kind::polygon) return outer.polygon->Contains(*inner.polygon);
        return false;
    case TesseraS2Region::Kind::cap:
        // A cap no larger than a hemisphere is convex: it holds a shape when it holds its vertices.
        if (inner.kind == TesseraS2Region::Kind::polyline) return verticesIn(outer, polylineVertices(*inner.polyline));
        if (inner.kind == TesseraS2Region::Kind::polygon) return verticesIn(outer, polygonVertices(*inner.polygon));
        return false;
    case TesseraS2Region::Kind::collection:
        for (const auto &member : outer.members) if (contains(*member, inner)) return true;
        return false;
    default:
        return false;
    }
}

double distance(const TesseraS2Region &region, const S2Point &point) {
    switch (region.kind) {
    case TesseraS2Region::Kind::point: return S1Angle(region.point, point).radians();
    case TesseraS2Region::Kind::polyline: {
        int next = 0;
        return S1Angle(region.polyline->Project(point, &next), point).radians();
    }
    case TesseraS2Region::Kind::polygon: return region.polygon->GetDistance(point).radians();
    case TesseraS2Region::Kind::cap:
        return std::max(0.0, S1Angle(region.cap.center(), point).radians() - region.cap.GetRadius().radians());
    case TesseraS2Region::Kind::collection: {
        double best = std::numeric_limits<double>::infinity();
        for (const auto &member : region.members) best = std::min(best, distance(*member, point));
        return best;
    }
    }
    return std::numeric_limits<double>::infinity();
}

bool intersects(const TesseraS2Region &a, const TesseraS2Region &b) {
    using Kind = TesseraS2Region::Kind;
    if (a.kind == Kind::collection) {
        for (const auto &member : a.members) if (intersects(*member, b)) return true;
        return false;
    }
    if (b.kind == Kind::collection) return intersects(b, a);
    if (a.kind == Kind::point) return containsPoint(b, a.point);
    if (b.kind == Kind::point) return containsPoint(a, b.point);
    if (a.kind == Kind::cap) {
        if (b.kind == Kind::cap) {
            return S1Angle(a.cap.center(), b.cap.center()).radians()
                <= a.cap.GetRadius().radians() + b.cap.GetRadius().radians();
        }
        return distance(b, a.cap.center()) <= a.cap.GetRadius().radians();
    }
    if (b.kind == Kind::cap) return intersects(b, a);
    if (a.kind == Kind::polyline && b.kind == Kind::polyline) return a.polyline->Intersects(*b.polyline);
    if (a.kind == Kind::polygon && b.kind == Kind::polygon) return a.polygon->Intersects(*b.polygon);
    const S2Polygon &polygon = a.kind == Kind::polygon ? *a.polygon : *b.polygon;
    const S2Polyline &line = a.kind == Kind::polyline ? *a.polyline : *b.polyline;
    for (int i = 0; i < line.num_vertices(); ++i) if (polygon.Contains(line.vertex(i))) return true;
    return !polygon.IntersectWithPolyline(line).empty();
}

}  // namespace

extern "C" {

uint64_t tessera_s2_cell_id(double lat, double lng, int32_t level) {
    return S2CellId(toPoint(lat, lng)).parent(std::clamp(level, 0, S2CellId::kMaxLevel)).id();
}

void tessera_s2_cell_center(uint64_t cell, double *lat, double *lng) {
    S2LatLng center = S2CellId(cell).ToLatLng();
    *lat = center.lat().degrees();
    *lng = center.lng().degrees();
}

TesseraS2Region *tessera_s2_point_new(double lat, double lng) {
    auto region = new TesseraS2Region();
    region->kind = TesseraS2Region::Kind::point;
    region->point = toPoint(lat, lng);
    return region;
}

TesseraS2Region *tessera_s2_polyline_new(const double *latlng, int32_t count, char *error, size_t error_size) {
    auto line = std::make_unique<S2Polyline>(points(latlng, count), S2Debug::DISABLE);
    S2Error problem;
    if (count < 2) {
        copyError("a LineString needs at least two points", error, error_size);
        return nullptr;
    }
    if (line->FindValidationError(&problem)) {
        copyError(problem.text(), error, error_size);
        return nullptr;
    }
    auto region = new TesseraS2Region();
    region->kind = TesseraS2Region::Kind::polyline;
    region->polyline = std::move(line);
    return region;
}

TesseraS2Region *tessera_s2_polygon_new(const double *latlng, const int32_t *loop_sizes, int32_t loop_count,
                                        char *error, size_t error_size) {
    std::vector<std::unique_ptr<S2Loop>> loops;
    const double *cursor = latlng;
    for (int32_t l = 0; l < loop_count; ++l) {
        auto loop = std::make_unique<S2Loop>(points(cursor, loop_sizes[l]), S2Debug::DISABLE);
        cursor += 2 * loop_sizes[l];
        S2Error problem;
        if (loop->FindValidationError(&problem)) {
            copyError("Loop is not valid: " + problem.text(), error, error_size);
            return nullptr;
        }
        // MongoDB's GeoJSON polygons: each ring bounds the smaller of its two sides.
        loop->Normalize();
        if (l > 0 && !loops[0]->Contains(*loop)) {
            copyError("Secondary loops not contained by first exterior loop - secondary loops must be holes",
                      error, error_size);
            return nullptr;
        }
        loops.push_back(std::move(loop));
    }
    auto polygon = std::make_unique<S2Polygon>();
    polygon->set_s2debug_override(S2Debug::DISABLE);
    polygon->InitNested(std::move(loops));
    S2Error problem;
    if (polygon->FindValidationError(&problem)) {
        copyError("Polygon is not valid: " + problem.text(), error, error_size);
        return nullptr;
    }
    auto region = new TesseraS2Region();
    region->kind = TesseraS2Region::Kind::polygon;
    region->polygon = std::move(polygon);
    return region;
}

TesseraS2Region *tessera_s2_cap_new(double lat, double lng, double radians) {
    auto region = new TesseraS2Region();
    region->kind = TesseraS2Region::Kind::cap;
    region->cap = S2Cap(toPoint(lat, lng), S1Angle::Radians(radians));
    return region;
}

TesseraS2Region *tessera_s2_collection_new(const TesseraS2Region *const *members, int32_t count) {
    auto region = new TesseraS2Region();
    region->kind = TesseraS2Region::Kind::collection;
    for (int32_t i = 0; i < count; ++i) region->members.push_back(members[i]);
    return region;
}

void tessera_s2_region_free(TesseraS2Region *region) { delete region; }

int32_t tessera_s2_cover(const TesseraS2Region *region, int32_t min_level, int32_t max_level, int32_t max_cells,
                         uint64_t *out, int32_t capacity) {
    S2RegionCoverer::Options options;
    options.set_min_level(std::clamp(min_level, 0, S2CellId::kMaxLevel));
    options.set_max_level(std::clamp(max_level, options.min_level(), S2CellId::kMaxLevel));
    options.set_max_cells(std::max(max_cells, 1));
    S2RegionCoverer coverer(options);
    std::vector<S2CellId> cells;
    coverInto(*region, coverer, cells);
    S2CellUnion::Normalize(&cells);
    return writeCells(cells, out, capacity);
}

int32_t tessera_s2_cover_annulus(double lat, double lng, double inner, double outer, int32_t max_level,
                                 int32_t max_cells, uint64_t *out, int32_t capacity) {
    S2RegionCoverer::Options options;
    options.set_max_level(std::clamp(max_level, 0, S2CellId::kMaxLevel));
    options.set_max_cells(std::max(max_cells, 1));
    S2RegionCoverer coverer(options);
    S2Point center = toPoint(lat, lng);
    S2CellUnion outerCells = coverer.GetCovering(S2Cap(center, S1Angle::Radians(outer)));
    if (inner > 0) {
        S2CellUnion innerCells = coverer.GetInteriorCovering(S2Cap(center, S1Angle::Radians(inner)));
        outerCells = outerCells.Difference(innerCells);
    }
    return writeCells(outerCells.cell_ids(), out, capacity);
}

int32_t tessera_s2_contains(const TesseraS2Region *outer, const TesseraS2Region *inner) {
    return contains(*outer, *inner) ? 1 : 0;
}

int32_t tessera_s2_intersects(const TesseraS2Region *a, const TesseraS2Region *b) { return intersects(*a, *b) ? 1 : 0; }

double tessera_s2_distance(const TesseraS2Region *region, double lat, double lng) {
    return distance(*region, toPoint(lat, lng));
}

}  // extern "C"
