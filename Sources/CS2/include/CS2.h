// CS2: the part of Google's S2 geometry library (Debian libs2-dev, C++) Tessera uses for
// 2dsphere indexes and geo operators, behind plain C types so Swift never sees a C++ header:
// cell ids of points, coverings of regions as cell ids, and containment, intersection and
// distance between regions. CS2.cc implements it; all angles are radians, all coordinates
// degrees (latitude, longitude).
#ifndef TESSERA_CS2_H
#define TESSERA_CS2_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A region on the sphere: a point, a polyline, a polygon (with holes), a cap, a
/// latitude/longitude rectangle, or a collection of them. Immutable once made; its queries
/// may run on several threads at once.
typedef struct TesseraS2Region TesseraS2Region;

/// The S2 cell id of the cell holding (lat, lng) at `level` (0...30).
uint64_t tessera_s2_cell_id(double lat, double lng, int32_t level);

/// The centre of a cell as (lat, lng) degrees.
void tessera_s2_cell_center(uint64_t cell, double *lat, double *lng);

/// A point region.
TesseraS2Region *tessera_s2_point_new(double lat, double lng);

/// A polyline through `count` vertices (`latlng` holds lat, lng pairs); NULL when invalid
/// (fewer than two vertices, or adjacent vertices equal or antipodal); `error` then receives
/// a message.
TesseraS2Region *tessera_s2_polyline_new(const double *latlng, int32_t count, char *error, size_t error_size);

/// A polygon of `loop_count` loops (the first the shell, the others holes), each of
/// `loop_sizes[i]` distinct vertices (lat, lng pairs, not closed) in `latlng`. Each loop is
/// taken as the smaller of the two regions its boundary bounds (MongoDB's GeoJSON rule);
/// holes must lie in the shell. NULL with `error` filled when a loop or the polygon is invalid.
TesseraS2Region *tessera_s2_polygon_new(const double *latlng, const int32_t *loop_sizes, int32_t loop_count,
                                        char *error, size_t error_size);

/// The cap of points within `radians` of (lat, lng).
TesseraS2Region *tessera_s2_cap_new(double lat, double lng, double radians);

/// The latitude/longitude rectangle between two corners (a longitude span crossing the
/// antimeridian when lng_lo > lng_hi).
TesseraS2Region *tessera_s2_rect_new(double lat_lo, double lng_lo, double lat_hi, double lng_hi);

/// A collection of regions, which it borrows: they must outlive it. The collection holds a
/// point when one of its members does.
TesseraS2Region *tessera_s2_collection_new(const TesseraS2Region *const *members, int32_t count);

/// Frees a region.
void tessera_s2_region_free(TesseraS2Region *region);

/// Cells covering the region, between `min_level` and `max_level`, about `max_cells` of
/// them: writes up to `capacity` ids to `out` and returns how many there are (call again
/// with a larger buffer when that is more than `capacity`).
int32_t tessera_s2_cover(const TesseraS2Region *region, int32_t min_level, int32_t max_level, int32_t max_cells,
                         uint64_t *out, int32_t capacity);

/// Cells covering the ring of points between `inner` and `outer` radians from (lat, lng):
/// a covering of the outer cap less the cells inside the inner cap. As for tessera_s2_cover.
int32_t tessera_s2_cover_annulus(double lat, double lng, double inner, double outer, int32_t max_level,
                                 int32_t max_cells, uint64_t *out, int32_t capacity);

/// Whether `outer` contains all of `inner` (1) or not (0).
int32_t tessera_s2_contains(const TesseraS2Region *outer, const TesseraS2Region *inner);

/// Whether the regions share a point (1) or not (0).
int32_t tessera_s2_intersects(const TesseraS2Region *a, const TesseraS2Region *b);

/// The least angle in radians between (lat, lng) and any point of the region (0 inside).
double tessera_s2_distance(const TesseraS2Region *region, double lat, double lng);

#ifdef __cplusplus
}
#endif

#endif
