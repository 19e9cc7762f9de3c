// The dashboard files, embedded by tools/embed-dashboard.
#ifndef VTX_DASHBOARD_ASSETS_H
#define VTX_DASHBOARD_ASSETS_H

typedef struct {
    const char *name;
    const char *content_type;
    const unsigned char *raw;
    unsigned int raw_length;
    const unsigned char *gzip;
    unsigned int gzip_length;
    const char *etag;
} vtx_asset;

extern const vtx_asset vtx_dashboard_assets[];
extern const unsigned int vtx_dashboard_asset_count;
extern const unsigned int vtx_dashboard_gzip_total;
/// Entry i (< vtx_dashboard_asset_count): Swift cannot index an array of unknown size.
const vtx_asset *vtx_dashboard_asset(unsigned int i);

#endif
