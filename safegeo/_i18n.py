"""English and Thai labels for maps and reports.

A small lookup table, not a translation framework: :func:`t` returns the label
for a key in the requested language and falls back to the key itself, so a
column name without an entry is shown as written.

>>> t("shelters", "th")
'ศูนย์พักพิง'
>>> t("shelters", "en")
'Shelters'
>>> t("my_column", "th")
'my_column'
"""

from __future__ import annotations

#: Languages :func:`t` knows.
LANGUAGES = ("en", "th")

#: key -> (English, Thai)
_LABELS: dict[str, tuple[str, str]] = {
    # --- layers -------------------------------------------------------------
    "roads": ("Roads", "ถนน"),
    "districts": ("Districts", "อำเภอ"),
    "tambons": ("Sub-districts", "ตำบล"),
    "border": ("International border", "แนวชายแดน"),
    "villages": ("Villages", "หมู่บ้าน"),
    "shelters": ("Shelters", "ศูนย์พักพิง"),
    "hospitals": ("Hospitals", "โรงพยาบาล"),
    "cameras": ("CCTV cameras", "กล้องวงจรปิด"),
    "camera_views": ("Camera views", "มุมมองกล้อง"),
    "lights": ("Street lights", "ไฟส่องสว่างถนน"),
    "sos": ("SOS buttons", "ปุ่มขอความช่วยเหลือ SOS"),
    "hazards": ("Hazard areas", "พื้นที่เสี่ยงภัย"),
    "vehicles": ("Emergency vehicles", "ยานพาหนะฉุกเฉิน"),
    "routes": ("Evacuation routes", "เส้นทางอพยพ"),
    "unreachable": ("Unreachable", "เข้าถึงไม่ได้"),
    "critical_roads": ("Critical roads", "ถนนจุดวิกฤต"),
    "gaps": ("Coverage gaps", "พื้นที่ที่ยังไม่ครอบคลุม"),
    "coverage": ("Coverage", "พื้นที่ครอบคลุม"),
    "proposals": ("Proposed sites", "จุดติดตั้งที่เสนอ"),
    "isochrones": ("Travel-time zones", "เขตเวลาเดินทาง"),
    "pois": ("Points of interest", "สถานที่สำคัญ"),
    "incidents": ("Incidents", "เหตุการณ์"),
    "rivers": ("Rivers", "แม่น้ำ"),
    "study_area": ("Study area", "พื้นที่ศึกษา"),
    "basemap": ("OpenStreetMap", "แผนที่ฐาน OpenStreetMap"),
    # --- legend titles and common columns ------------------------------------
    "legend": ("Legend", "คำอธิบายสัญลักษณ์"),
    "name": ("Name", "ชื่อ"),
    "name_en": ("Name", "ชื่อ (อังกฤษ)"),
    "name_th": ("Name (Thai)", "ชื่อ"),
    "province": ("Province", "จังหวัด"),
    "district": ("District", "อำเภอ"),
    "district_id": ("District code", "รหัสอำเภอ"),
    "population": ("Population", "ประชากร"),
    "capacity": ("Capacity (people)", "ความจุ (คน)"),
    "kind": ("Kind", "ประเภท"),
    "type": ("Type", "ประเภท"),
    "category": ("Category", "หมวดหมู่"),
    "status": ("Status", "สถานะ"),
    "agency": ("Agency", "หน่วยงาน"),
    "severity": ("Severity", "ระดับความรุนแรง"),
    "highway": ("Road class", "ประเภทถนน"),
    "travel_time_s": ("Travel time (s)", "เวลาเดินทาง (วินาที)"),
    "travel_time_min": ("Travel time (min)", "เวลาเดินทาง (นาที)"),
    "distance_m": ("Distance (m)", "ระยะทาง (เมตร)"),
    "share_30min": ("Share reached within 30 min", "สัดส่วนที่ถึงภายใน 30 นาที"),
    "covered": ("Covered", "ครอบคลุมแล้ว"),
    "priority": ("Priority", "ลำดับความสำคัญ"),
    "betweenness": ("Criticality", "ความสำคัญเชิงโครงข่าย"),
    # --- values -------------------------------------------------------------
    "shelter": ("Shelter", "ศูนย์พักพิง"),
    "safe_area": ("Safe area", "พื้นที่ปลอดภัย"),
    "refuge": ("Refuge", "ที่หลบภัย"),
    "hospital": ("Hospital", "โรงพยาบาล"),
    "low": ("Low", "ต่ำ"),
    "medium": ("Medium", "ปานกลาง"),
    "high": ("High", "สูง"),
    "extreme": ("Extreme", "รุนแรงมาก"),
    "flood": ("Flood", "น้ำท่วม"),
    "landslide": ("Landslide", "ดินถล่ม"),
    "storm_surge": ("Storm surge", "คลื่นพายุซัดฝั่ง"),
    "ambulance": ("Ambulance", "รถพยาบาล"),
    "fire_engine": ("Fire engine", "รถดับเพลิง"),
    "rescue_truck": ("Rescue truck", "รถกู้ภัย"),
    "rescue_boat": ("Rescue boat", "เรือกู้ภัย"),
    "water_tanker": ("Water tanker", "รถบรรทุกน้ำ"),
    "pickup_4x4": ("4x4 pickup", "รถกระบะขับเคลื่อนสี่ล้อ"),
    "available": ("Available", "พร้อมใช้งาน"),
    "dispatched": ("Dispatched", "ออกปฏิบัติการ"),
    "maintenance": ("Maintenance", "ซ่อมบำรุง"),
    "out_of_service": ("Out of service", "งดใช้งาน"),
    "other": ("Other", "อื่น ๆ"),
    "no_data": ("No data", "ไม่มีข้อมูล"),
    "yes": ("yes", "ใช่"),
    "no": ("no", "ไม่ใช่"),
    # --- page furniture -------------------------------------------------------
    "synthetic_data": ("Synthetic data – not real locations", "ข้อมูลสังเคราะห์ – ไม่ใช่ตำแหน่งจริง"),
    # --- coverage ---------------------------------------------------------------
    "gaps_lights": ("Unlit stretches", "ช่วงถนนที่ไม่มีไฟส่องสว่าง"),
    "gaps_cameras": ("Not seen by CCTV", "ช่วงถนนที่กล้องวงจรปิดมองไม่เห็น"),
    "gaps_sos": ("Beyond SOS walking reach", "ช่วงถนนที่เดินไปถึงปุ่ม SOS ไม่ทัน"),
    "covered_pct": ("Covered (%)", "ครอบคลุม (%)"),
    "lit_pct": ("Lit (%)", "มีไฟส่องสว่าง (%)"),
    "seen_pct": ("Seen by CCTV (%)", "กล้องวงจรปิดมองเห็น (%)"),
    "sos_pct": ("Within SOS reach (%)", "อยู่ในระยะปุ่ม SOS (%)"),
    "road_km": ("Road (km)", "ถนน (กม.)"),
    "high_priority_gap_km": ("Road with high-priority gaps (km)", "ถนนที่มีช่องว่างความสำคัญสูง (กม.)"),
    "lit_high_gap_km": ("Unlit, high priority (km)", "ไม่มีไฟส่องสว่าง ความสำคัญสูง (กม.)"),
    "seen_high_gap_km": ("Not seen by CCTV, high priority (km)", "กล้องมองไม่เห็น ความสำคัญสูง (กม.)"),
    "sos_high_gap_km": ("Beyond SOS reach, high priority (km)", "เกินระยะปุ่ม SOS ความสำคัญสูง (กม.)"),
    "rank": ("Rank", "ลำดับ"),
    "length_m": ("Length (m)", "ความยาว (เมตร)"),
    "weight": ("Priority weight", "น้ำหนักความสำคัญ"),
    "asset": ("Asset", "อุปกรณ์"),
    "segment_id": ("Road segment", "ช่วงถนน"),
    "gain_m": ("Newly covered (m)", "ระยะที่ครอบคลุมเพิ่ม (เมตร)"),
    "weighted_gain_m": ("Priority-weighted gain (m)", "ระยะที่ครอบคลุมเพิ่มถ่วงน้ำหนัก (เมตร)"),
    "direction_deg": ("Direction (°)", "ทิศทาง (องศา)"),
    "fov_deg": ("Field of view (°)", "มุมมอง (องศา)"),
    "range_m": ("Range (m)", "ระยะ (เมตร)"),
    "radius_m": ("Radius (m)", "รัศมี (เมตร)"),
    "border_km": ("Border length (km)", "ความยาวแนวชายแดน (กม.)"),
    "is_border": ("Border district", "อำเภอชายแดน"),
    # --- dispatch and response ----------------------------------------------------
    "dispatch_title": ("Dispatch", "การสั่งการรถฉุกเฉิน"),
    "dispatch_routes": ("Routes to the incident", "เส้นทางไปยังจุดเกิดเหตุ"),
    "proposed_vehicles": ("Proposed vehicles", "ยานพาหนะที่เสนอ"),
    "other_vehicles": ("Other vehicles", "ยานพาหนะอื่น"),
    "incident": ("Incident", "จุดเกิดเหตุ"),
    "response_title": ("Emergency response time", "เวลาเข้าถึงของรถฉุกเฉิน"),
    "response_time": ("Response time", "เวลาเข้าถึง"),
    "unserved_villages": ("Villages beyond the response target", "หมู่บ้านที่เกินเวลาเป้าหมาย"),
    "vehicles_available": ("Available vehicles", "ยานพาหนะที่พร้อมใช้งาน"),
    "vehicles_unavailable": ("Vehicles not available", "ยานพาหนะที่ไม่พร้อมใช้งาน"),
    "within_target": ("within target", "ภายในเวลาเป้าหมาย"),
    "beyond_target": ("beyond target", "เกินเวลาเป้าหมาย"),
    "unreachable_by_road": ("unreachable by road", "เข้าถึงทางถนนไม่ได้"),
    "no_vehicle": ("no available vehicle", "ไม่มียานพาหนะพร้อมใช้งาน"),
    "off_network": ("far from any road", "อยู่ห่างจากถนน"),
    # --- report pages ---------------------------------------------------------------
    "evacuation": ("Evacuation", "การอพยพ"),
    "response": ("Response times", "เวลาเข้าถึงของรถฉุกเฉิน"),
    "dispatch": ("Dispatch", "การสั่งการรถฉุกเฉิน"),
    "overview": ("Overview", "ภาพรวม"),
    # --- evacuation -----------------------------------------------------------------
    "closed_roads": ("Closed roads", "ถนนที่ปิด"),
    "hazard_exit_m": ("Through the hazard on foot/boat (m)", "ระยะเดินเท้า/เรือออกจากพื้นที่ภัย (เมตร)"),
    "edge_load": ("Evacuee load", "จำนวนผู้อพยพบนถนน"),
    "load_class": ("Shelter load", "ความหนาแน่นศูนย์พักพิง"),
    "unused": ("unused", "ยังไม่ได้ใช้"),
    "in_use": ("in use", "ใช้งาน"),
    "nearly_full": ("nearly full", "ใกล้เต็ม"),
    "over_capacity": ("over capacity", "เกินความจุ"),
    "excluded": ("not eligible", "ไม่เข้าเกณฑ์"),
    "assigned": ("Assigned (people)", "ผู้อพยพที่จัดให้ (คน)"),
    "load_pct": ("Load (% of capacity)", "การใช้ความจุ (%)"),
    "excluded_reason": ("Why not used", "เหตุผลที่ไม่ใช้"),
    "isolated_population": ("People cut off", "ประชากรที่ถูกตัดขาด"),
    "evacuee_load": ("Evacuees on this road", "ผู้อพยพที่ใช้ถนนนี้"),
    "share_within_15min": ("Share within 15 min", "สัดส่วนที่ถึงภายใน 15 นาที"),
    "share_within_30min": ("Share within 30 min", "สัดส่วนที่ถึงภายใน 30 นาที"),
    "share_within_60min": ("Share within 60 min", "สัดส่วนที่ถึงภายใน 60 นาที"),
    "pop_within_15min": ("People within 15 min", "ประชากรที่ถึงภายใน 15 นาที"),
    "pop_within_30min": ("People within 30 min", "ประชากรที่ถึงภายใน 30 นาที"),
    "pop_within_60min": ("People within 60 min", "ประชากรที่ถึงภายใน 60 นาที"),
    "overflow": ("Overflow (no place in time)", "ผู้ที่ไม่มีที่พักภายในเวลา"),
    "most_loaded_shelter": ("Most loaded shelter", "ศูนย์พักพิงที่หนาแน่นที่สุด"),
    "most_loaded_utilisation": ("Its load (%)", "การใช้ความจุ (%)"),
    "origin_id": ("Origin", "ต้นทาง"),
    "shelter_id": ("Shelter", "ศูนย์พักพิง"),
    "reason": ("Reason", "เหตุผล"),
    "isolated_by_hazard": ("cut off by the hazard", "ถูกตัดขาดจากภัย"),
    "no_path": ("no road to a shelter", "ไม่มีเส้นทางไปศูนย์พักพิง"),
    "no_eligible_shelter": ("no eligible shelter", "ไม่มีศูนย์พักพิงที่เข้าเกณฑ์"),
    # --- road planning -------------------------------------------------------------
    "road_plan_title": ("Road improvement plan", "แผนปรับปรุงโครงข่ายถนน"),
    "road_candidates": ("Road projects by benefit", "โครงการถนนเรียงตามประโยชน์"),
    "chosen_projects": ("Chosen projects (within budget)", "โครงการที่เลือก (ภายในงบประมาณ)"),
    "candidates_no_benefit": ("Projects with no benefit", "โครงการที่ไม่เกิดประโยชน์"),
    "routes_before_after": ("Routes before and after", "เส้นทางก่อนและหลังปรับปรุง"),
    "villages_gain": ("Villages that gain", "หมู่บ้านที่ได้ประโยชน์"),
    "new_link": ("New road link", "ถนนเชื่อมใหม่"),
    "bridge": ("Bridge", "สะพาน"),
    "upgrade": ("Road upgrade", "ยกระดับถนน"),
    "floodproof": ("Flood-proofing", "ยกระดับถนนพ้นน้ำท่วม"),
    "before": ("before", "ก่อน"),
    "after": ("after", "หลัง"),
    "when": ("Before / after", "ก่อน / หลัง"),
    "when_label": ("Before / after", "ก่อน / หลัง"),
    "kind_label": ("Kind", "ประเภท"),
    "candidate_id": ("Project", "โครงการ"),
    "cost": ("Cost (million baht)", "ค่าใช้จ่าย (ล้านบาท)"),
    "cost_estimated": ("Cost estimated", "ค่าใช้จ่ายโดยประมาณ"),
    "benefit_people_min": ("Evacuation time saved (person-min)", "เวลาอพยพที่ลดได้ (คน-นาที)"),
    "people_min_saved": ("Time saved for people already able to leave (person-min)",
                             "เวลาที่ลดได้ของผู้ที่อพยพได้อยู่แล้ว (คน-นาที)"),
    "people_faster": ("People who get out faster", "จำนวนคนที่อพยพได้เร็วขึ้น"),
    "villages_faster": ("Villages that get out faster", "จำนวนหมู่บ้านที่อพยพได้เร็วขึ้น"),
    "people_reconnected": ("People no longer cut off", "จำนวนคนที่ไม่ถูกตัดขาดอีกต่อไป"),
    "people_newly_within_max": ("People newly within the time limit", "จำนวนคนที่ถึงศูนย์พักพิงทันเวลาเพิ่มขึ้น"),
    "response_people_min": ("Response time saved (person-min)", "เวลาเข้าถึงของรถฉุกเฉินที่ลดได้ (คน-นาที)"),
    "response_max_gain_min": ("Largest response-time gain (min)", "เวลาเข้าถึงที่ลดได้มากที่สุด (นาที)"),
    "benefit_per_cost": ("Benefit per million baht", "ประโยชน์ต่อหนึ่งล้านบาท"),
    "rank_per_cost": ("Rank by benefit per cost", "ลำดับตามความคุ้มค่า"),
    "chosen": ("Chosen", "ได้รับเลือก"),
    "minutes_before": ("Minutes before", "เวลาก่อนปรับปรุง (นาที)"),
    "minutes_after": ("Minutes after", "เวลาหลังปรับปรุง (นาที)"),
    "gain_min": ("Minutes saved", "เวลาที่ลดได้ (นาที)"),
}


def t(key: str, lang: str = "en") -> str:
    """Return the label for ``key`` in ``lang``, or ``key`` itself when there is none.

    Parameters
    ----------
    key : str
        Label key, usually a layer or column name (``"shelters"``, ``"travel_time_s"``).
    lang : {"en", "th"}
        Language of the label.

    Returns
    -------
    str
        The translated label; unknown keys come back unchanged.

    Raises
    ------
    ValueError
        If ``lang`` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> t("hospitals", "th")
    'โรงพยาบาล'
    """
    index = _lang_index(lang)
    entry = _LABELS.get(key)
    return entry[index] if entry is not None else key


def has_label(key: str) -> bool:
    """Return True when :func:`t` knows ``key``."""
    return key in _LABELS


def _lang_index(lang: str) -> int:
    try:
        return LANGUAGES.index(lang)
    except ValueError:
        raise ValueError(
            f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}"
        ) from None
