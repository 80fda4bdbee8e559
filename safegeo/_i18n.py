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

import re

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
    "gap_km": ("Gap length (km)", "ระยะที่ยังไม่ครอบคลุม (กม.)"),
    "gap_pieces": ("Gap pieces", "จำนวนช่วงที่ยังไม่ครอบคลุม"),
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
    "road_plan_top": ("Best projects: evacuation time saved", "โครงการที่ดีที่สุด: เวลาอพยพที่ลดได้"),
    "road_plan_routes": ("Travel time to a shelter before and after (min)",
                         "เวลาเดินทางไปศูนย์พักพิงก่อนและหลังปรับปรุง (นาที)"),
    "road_plan_by_district": ("Chosen projects: time saved per district (person-min)",
                              "โครงการที่เลือก: เวลาที่ลดได้รายอำเภอ (คน-นาที)"),
    "road_plan_no_portfolio": ("No projects chosen (no budget given, or none fits it)",
                               "ไม่มีโครงการที่ได้รับเลือก (ไม่ได้กำหนดงบประมาณ หรือไม่มีโครงการใดอยู่ในงบ)"),
    # --- columns shown by the analysis maps (tooltips, popups, legends) -------------------
    "hazard": ("Hazard", "ภัย"),
    "hazard_source": ("Hazard scenario", "สถานการณ์ภัย"),
    "safe_for": ("Safe for", "ปลอดภัยสำหรับ"),
    "date": ("Date", "วันที่"),
    "village_id": ("Village code", "รหัสหมู่บ้าน"),
    "tambon": ("Sub-district", "ตำบล"),
    "tambon_id": ("Sub-district code", "รหัสตำบล"),
    "camera_id": ("Camera", "กล้อง"),
    "light_id": ("Street light", "ไฟส่องสว่าง"),
    "sos_id": ("SOS button", "ปุ่ม SOS"),
    "poi_id": ("Place code", "รหัสสถานที่"),
    "incident_id": ("Incident code", "รหัสเหตุการณ์"),
    "vehicle_id": ("Vehicle", "ยานพาหนะ"),
    "vehicle_type": ("Vehicle type", "ประเภทยานพาหนะ"),
    "capabilities": ("Capabilities", "ความสามารถ"),
    "contact": ("Contact", "ผู้ติดต่อ"),
    "band": ("Travel time", "ช่วงเวลาเดินทาง"),
    "area_km2": ("Area (km²)", "พื้นที่ (ตร.กม.)"),
    "time_min": ("Time (min)", "เวลา (นาที)"),
    "target_min": ("Target (min)", "เวลาเป้าหมาย (นาที)"),
    "eta_min": ("Arrival in (min)", "ถึงภายใน (นาที)"),
    "snap_m": ("Distance to road (m)", "ระยะห่างจากถนน (เมตร)"),
    "lon": ("Longitude", "ลองจิจูด"),
    "lat": ("Latitude", "ละติจูด"),
    "lit_gap_km": ("Unlit road (km)", "ถนนที่ไม่มีไฟส่องสว่าง (กม.)"),
    "seen_gap_km": ("Road not seen by CCTV (km)", "ถนนที่กล้องมองไม่เห็น (กม.)"),
    "sos_gap_km": ("Road beyond SOS reach (km)", "ถนนที่เกินระยะปุ่ม SOS (กม.)"),
    "is_bridge": ("Bridge", "สะพาน"),
    "eligible": ("Eligible", "เข้าเกณฑ์"),
    "utilisation": ("Load (share of capacity)", "สัดส่วนการใช้ความจุ"),
    "load_people": ("Evacuees on this road", "ผู้อพยพที่ใช้ถนนนี้"),
    "beyond_max_time": ("Beyond the time limit (people)", "เกินเวลาที่กำหนด (คน)"),
    "nearest_vehicle": ("Nearest vehicle", "ยานพาหนะที่ใกล้ที่สุด"),
    "share_population_within_target": ("People within target (share)", "สัดส่วนประชากรภายในเวลาเป้าหมาย"),
    "median_min": ("Median (min)", "ค่ามัธยฐาน (นาที)"),
    "max_min": ("Longest (min)", "นานที่สุด (นาที)"),
    "method": ("Method", "วิธี"),
    "greedy_nearest": ("Nearest shelter", "ศูนย์พักพิงที่ใกล้ที่สุด"),
    "capacity_optimal": ("Capacity-aware plan", "แผนที่คำนึงถึงความจุ"),
    # --- codes shown as values ----------------------------------------------------------------
    "school": ("School", "โรงเรียน"),
    "mosque": ("Mosque", "มัสยิด"),
    "temple": ("Temple", "วัด"),
    "district_office": ("District office", "ที่ว่าการอำเภอ"),
    "market": ("Market", "ตลาด"),
    "health_center": ("Health centre", "ศูนย์สุขภาพชุมชน"),
    "road_accident": ("Road accident", "อุบัติเหตุทางถนน"),
    "medical": ("Medical emergency", "เจ็บป่วยฉุกเฉิน"),
    "fire": ("Fire", "อัคคีภัย"),
    "flood_rescue": ("Flood rescue", "กู้ภัยน้ำท่วม"),
    "theft": ("Theft", "ลักทรัพย์"),
    "storm": ("Storm", "พายุ"),
    "tsunami": ("Tsunami", "สึนามิ"),
    "high_clearance": ("high clearance", "รถใต้ท้องสูง"),
    "4x4": ("4x4", "ขับเคลื่อนสี่ล้อ"),
    "boat": ("boat", "เรือ"),
    "motorway": ("Motorway", "ทางหลวงพิเศษ"),
    "trunk": ("Trunk road", "ทางหลวงสายหลัก"),
    "primary": ("Primary road", "ทางหลวงแผ่นดิน"),
    "secondary": ("Secondary road", "ทางหลวงสายรอง"),
    "tertiary": ("Tertiary road", "ทางหลวงชนบท"),
    "unclassified": ("Minor road", "ถนนสายย่อย"),
    "residential": ("Residential street", "ถนนในชุมชน"),
    "living_street": ("Living street", "ถนนในชุมชน"),
    "service": ("Service road", "ทางเข้าออก"),
    "track": ("Track", "ทางดิน"),
    "footway": ("Footway", "ทางเท้า"),
    "path": ("Path", "ทางเดิน"),
    "road": ("Road", "ถนน"),
    "lit": ("lit", "มีไฟส่องสว่าง"),
    "seen": ("seen by CCTV", "กล้องมองเห็น"),
    # --- page furniture: back link, legend and chart panel -----------------------------------
    "back_overview": ("\u2190 Overview", "\u2190 ภาพรวม"),
    "charts": ("Charts", "แผนภูมิ"),
    "show_charts": ("Show charts", "แสดงแผนภูมิ"),
    "hide_charts": ("Hide charts", "ซ่อนแผนภูมิ"),
    "show_legend": ("Show legend", "แสดงคำอธิบายสัญลักษณ์"),
    "hide_legend": ("Hide legend", "ซ่อนคำอธิบายสัญลักษณ์"),
    # --- charts ---------------------------------------------------------------------------------
    "no_chart_data": ("No data to show", "ไม่มีข้อมูลที่จะแสดง"),
    "people": ("People", "ประชากร (คน)"),
    "percent": ("Share (%)", "สัดส่วน (%)"),
    "minutes": ("Minutes", "นาที"),
    "count": ("Count", "จำนวน"),
    "target": ("target", "เป้าหมาย"),
    "evac_time_by_area": ("People by time to reach a shelter", "ประชากรจำแนกตามเวลาเดินทางถึงศูนย์พักพิง"),
    "evac_within_15": ("within 15 min", "ภายใน 15 นาที"),
    "evac_15_30": ("15–30 min", "15–30 นาที"),
    "evac_30_60": ("30–60 min", "30–60 นาที"),
    "evac_over_60": ("over 60 min", "เกิน 60 นาที"),
    "evac_overflow": ("no shelter place in time", "ไม่มีที่พักภายในเวลา"),
    "evac_unreachable": ("cannot reach a shelter", "ไปศูนย์พักพิงไม่ได้"),
    "evac_time_hist": ("Travel time to the assigned shelter", "เวลาเดินทางถึงศูนย์พักพิงที่จัดให้"),
    "evac_not_routed": ("{n} people with no route (no place in time or cut off) are not shown",
                        "ไม่แสดงประชากร {n} คนที่ไม่มีเส้นทาง (ไม่มีที่พักภายในเวลาหรือถูกตัดขาด)"),
    "evac_shelter_load": ("Fullest shelters", "ศูนย์พักพิงที่ใช้ความจุมากที่สุด"),
    "capacity_line": ("capacity", "ความจุ"),
    "cov_by_district": ("Road covered, by district", "ถนนที่ครอบคลุม จำแนกตามอำเภอ"),
    "cov_gaps_by_district": ("Road with high-priority gaps, by district", "ถนนที่มีช่องว่างความสำคัญสูง จำแนกตามอำเภอ"),
    "cov_tambon_scorecard": ("Sub-district scorecard", "ตารางคะแนนรายตำบล"),
    "resp_curve": ("Villages reached within a given time", "หมู่บ้านที่รถฉุกเฉินไปถึงได้ภายในเวลาที่กำหนด"),
    "resp_villages_pct": ("Villages reached (%)", "หมู่บ้านที่ไปถึงได้ (%)"),
    "resp_minutes": ("Response time (min)", "เวลาเข้าถึง (นาที)"),
    "resp_not_reached": ("{n} village–vehicle pairs never reached", "หมู่บ้าน–ประเภทรถ {n} คู่ที่ไปไม่ถึง"),
    "resp_by_district": ("People within the response target, by district",
                         "ประชากรที่รถไปถึงภายในเวลาเป้าหมาย จำแนกตามอำเภอ"),
    # --- exposure and warnings ------------------------------------------------------------------
    "exposure_title": ("Who is in harm's way", "ประชากรและสถานที่ในพื้นที่เสี่ยงภัย"),
    # --- scorecard and district report ------------------------------------------
    "scorecard": ("Scorecard", "บัตรคะแนนความปลอดภัย"),
    "scorecard_title": ("Safety scorecard", "บัตรคะแนนความปลอดภัยรายตำบล"),
    "scorecard_villages": ("Villages by score", "หมู่บ้านตามคะแนน"),
    "scorecard_dimensions": ("Score by dimension (0-10, higher needs help sooner)",
                             "คะแนนรายมิติ (0-10 ยิ่งสูงยิ่งต้องช่วยก่อน)"),
    "scorecard_indicators": ("Indicators per sub-district", "ตัวชี้วัดรายตำบล"),
    "district_report": ("District safety report", "รายงานความปลอดภัยระดับอำเภอ"),
    "table": ("Table", "ตาราง"),
    "table_filter": ("Filter rows…", "กรองแถว…"),
    "table_rows": ("rows", "แถว"),
    "score": ("Score (0-10)", "คะแนน (0-10)"),
    "rank_in_district": ("Rank in district", "ลำดับในอำเภอ"),
    "rank_in_province": ("Rank in province", "ลำดับในจังหวัด"),
    "dim_hazard_exposure": ("Hazard & exposure", "ภัยและการสัมผัสภัย"),
    "dim_evacuation": ("Evacuation", "การอพยพ"),
    "dim_coping": ("Lack of coping capacity", "การขาดขีดความสามารถในการรับมือ"),
    "hazard_exposure": ("Hazard & exposure", "ภัยและการสัมผัสภัย"),
    "coping": ("Lack of coping capacity", "การขาดขีดความสามารถในการรับมือ"),
    "action_1": ("Action 1", "มาตรการที่ 1"),
    "action_2": ("Action 2", "มาตรการที่ 2"),
    "action_3": ("Action 3", "มาตรการที่ 3"),
    "action_1_th": ("Action 1 (Thai)", "มาตรการที่ 1"),
    "action_2_th": ("Action 2 (Thai)", "มาตรการที่ 2"),
    "action_3_th": ("Action 3 (Thai)", "มาตรการที่ 3"),
    "district_name_en": ("District", "อำเภอ (อังกฤษ)"),
    "district_name_th": ("District (Thai)", "อำเภอ"),
    "evac_population": ("People evacuated", "ผู้อพยพ (คน)"),
    "evac_share_within_15min": ("Within 15 min", "ถึงภายใน 15 นาที"),
    "evac_share_within_30min": ("Within 30 min", "ถึงภายใน 30 นาที"),
    "evac_share_within_60min": ("Within 60 min", "ถึงภายใน 60 นาที"),
    "evac_overflow_share": ("No place in time", "สัดส่วนไม่มีที่พักภายในเวลา"),
    "evac_cut_off_by_one_road": ("Cut off by one road (people)", "ถูกตัดขาดหากถนนเส้นเดียวขาด (คน)"),
    "evac_share_cut_off_by_one_road": ("Cut off by one road", "สัดส่วนถูกตัดขาดหากถนนเส้นเดียวขาด"),
    "cut_off_by_one_road": ("Cut off by one road (people)", "ถูกตัดขาดหากถนนเส้นเดียวขาด (คน)"),
    "share_cut_off_by_one_road": ("Cut off by one road", "สัดส่วนถูกตัดขาดหากถนนเส้นเดียวขาด"),
    "evac_most_loaded_shelter": ("Fullest shelter", "ศูนย์พักพิงที่แน่นที่สุด"),
    "ambulance_median_min": ("Ambulance ETA, median (min)", "เวลารถพยาบาล มัธยฐาน (นาที)"),
    "ambulance_p90_min": ("Ambulance ETA, p90 (min)", "เวลารถพยาบาล p90 (นาที)"),
    "rescue_truck_median_min": ("Rescue truck ETA, median (min)", "เวลารถกู้ภัย มัธยฐาน (นาที)"),
    "rescue_truck_p90_min": ("Rescue truck ETA, p90 (min)", "เวลารถกู้ภัย p90 (นาที)"),
    "rescue_boat_median_min": ("Rescue boat ETA, median (min)", "เวลาเรือกู้ภัย มัธยฐาน (นาที)"),
    "rescue_boat_p90_min": ("Rescue boat ETA, p90 (min)", "เวลาเรือกู้ภัย p90 (นาที)"),
    "p90_min": ("p90 (min)", "p90 (นาที)"),
    "exposed_population": ("People exposed", "ประชาชนในพื้นที่ภัย (คน)"),
    "exposed_share": ("Share exposed", "สัดส่วนในพื้นที่ภัย"),
    "exposure_by_district": ("People exposed, by district", "ประชากรในพื้นที่เสี่ยง จำแนกตามอำเภอ"),
    "hazard_classes": ("Hazard classes", "ระดับความรุนแรงของภัย"),
    "exposed_villages": ("Villages exposed", "หมู่บ้านในพื้นที่เสี่ยง"),
    "assets_inside": ("Places inside the hazard", "สถานที่ในพื้นที่เสี่ยง"),
    "repeat_disaster_tambons": ("Repeat-disaster sub-districts", "ตำบลที่ประสบภัยซ้ำซาก"),
    "class": ("Class", "ระดับ"),
    "all": ("All classes", "ทุกระดับ"),
    "inside": ("Inside", "ในพื้นที่"),
    "villages_population": ("People (villages)", "ประชากร (หมู่บ้าน)"),
    "villages_under5": ("Children under 5 (villages)", "เด็กอายุต่ำกว่า 5 ปี (หมู่บ้าน)"),
    "villages_elderly": ("Elderly (villages)", "ผู้สูงอายุ (หมู่บ้าน)"),
    "villages_disabled": ("People with disabilities (villages)", "ผู้พิการ (หมู่บ้าน)"),
    "villages_bedridden": ("Bed-ridden (villages)", "ผู้ป่วยติดเตียง (หมู่บ้าน)"),
    "villages_pregnant": ("Pregnant women (villages)", "หญิงตั้งครรภ์ (หมู่บ้าน)"),
    "raster_total": ("People (population grid)", "ประชากร (กริดประชากร)"),
    "raster_under5": ("Children under 5 (population grid)", "เด็กอายุต่ำกว่า 5 ปี (กริดประชากร)"),
    "raster_elderly": ("Elderly (population grid)", "ผู้สูงอายุ (กริดประชากร)"),
    "under5": ("Children under 5", "เด็กอายุต่ำกว่า 5 ปี"),
    "elderly": ("Elderly", "ผู้สูงอายุ"),
    "disabled": ("People with disabilities", "ผู้พิการ"),
    "bedridden": ("Bed-ridden", "ผู้ป่วยติดเตียง"),
    "shelters_inside": ("Shelters inside", "ศูนย์พักพิงในพื้นที่เสี่ยง"),
    "hospitals_inside": ("Hospitals inside", "โรงพยาบาลในพื้นที่เสี่ยง"),
    "schools_inside": ("Schools inside", "โรงเรียนในพื้นที่เสี่ยง"),
    "pois_inside": ("Points of interest inside", "สถานที่สำคัญในพื้นที่เสี่ยง"),
    "road_km_closed": ("Road closed (km)", "ถนนที่ปิด (กม.)"),
    "road_km_slowed": ("Road slowed (km)", "ถนนที่สัญจรช้าลง (กม.)"),
    "repeat_area": ("Repeat-disaster area", "พื้นที่ประสบภัยซ้ำซาก"),
    "repeat_kinds": ("Repeated disasters", "ภัยที่เกิดซ้ำ"),
    "repeat_tambons": ("Repeat-disaster sub-districts", "จำนวนตำบลประสบภัยซ้ำซาก"),
    "events": ("Past events", "เหตุการณ์ที่ผ่านมา"),
    "depth_m": ("Depth (m)", "ความลึก (เมตร)"),
    "haze": ("Haze (PM2.5)", "หมอกควัน (PM2.5)"),
    "drought": ("Drought", "ภัยแล้ง"),
    "epidemic": ("Epidemic", "โรคระบาด"),
    "unrest": ("Unrest", "เหตุความไม่สงบ"),
    "warning_title": ("Warning", "การแจ้งเตือนภัย"),
    "warning_area": ("Warning area", "พื้นที่แจ้งเตือน"),
    "target_tambons": ("Sub-districts to warn", "ตำบลที่ต้องแจ้งเตือน"),
    "target_villages": ("Villages to warn", "หมู่บ้านที่ต้องแจ้งเตือน"),
    "shelters_to_open": ("Shelters to open", "ศูนย์พักพิงที่ต้องเปิด"),
    "roads_to_close": ("Roads to close", "ถนนที่ต้องปิด"),
    "vehicles_to_preposition": ("Vehicles to pre-position", "ยานพาหนะที่ต้องเตรียมพร้อม"),
    "vehicle_bases": ("Vehicle bases", "ที่ตั้งยานพาหนะ"),
    "expected_people": ("People expected", "จำนวนคนที่คาดว่าจะมา"),
    "travel_min": ("Travel (min)", "เวลาเดินทาง (นาที)"),
    "shelter_name": ("Shelter", "ศูนย์พักพิง"),
    "share_inside": ("Share of the area inside", "สัดส่วนพื้นที่ที่อยู่ในเขตแจ้งเตือน"),
    "room": ("Room left", "ยังมีที่ว่าง"),
    "warning_people_by_tambon": ("People to warn, by sub-district", "ประชากรที่ต้องแจ้งเตือน จำแนกตามตำบล"),
    "warning_shelter_load": ("Shelters to open: expected load", "ศูนย์พักพิงที่ต้องเปิด: สัดส่วนการใช้ความจุ"),
    "desc": ("Description", "คำอธิบาย"),
    "inside_area": ("Based inside the area", "ตั้งอยู่ในพื้นที่แจ้งเตือน"),
    "source": ("Source", "ที่มา"),
    # --- scenario ensembles ---------------------------------------------------------------------
    "ens_title": ("Scenario ensemble", "ผลรวมหลายสถานการณ์จำลอง"),
    "ens_cut_off_by_district": ("Chance of being cut off, by district", "โอกาสถูกตัดขาด จำแนกตามอำเภอ"),
    "ens_people_pct": ("People, averaged over the scenarios (%)", "ประชากร เฉลี่ยทุกสถานการณ์ (%)"),
    "ens_time_bands": ("Travel time to a shelter across the scenarios, by district",
                       "เวลาเดินทางถึงศูนย์พักพิงในทุกสถานการณ์ จำแนกตามอำเภอ"),
    "ens_p50": ("half of the people (median)", "ครึ่งหนึ่งของประชากร (มัธยฐาน)"),
    "ens_p50_p90": ("up to 9 in 10 people (90th percentile)", "ถึง 9 ใน 10 คน (เปอร์เซ็นไทล์ที่ 90)"),
    "ens_cut_off_hist": ("People cut off, per scenario", "ประชากรที่ถูกตัดขาด ในแต่ละสถานการณ์"),
    "ens_people_cut_off": ("People cut off", "ประชากรที่ถูกตัดขาด (คน)"),
    "ens_scenarios": ("Scenarios", "จำนวนสถานการณ์"),
    "ens_roads": ("Roads whose loss cuts off the most people", "ถนนที่หากขาดแล้วตัดขาดประชากรมากที่สุด"),
    "ens_expected_isolated": ("People cut off, averaged over the scenarios", "ประชากรที่ถูกตัดขาด เฉลี่ยทุกสถานการณ์ (คน)"),
    "ens_no_critical_road": ("No road's loss cuts anyone off", "ไม่มีถนนใดที่หากขาดแล้วตัดขาดประชากร"),
    "ens_shelters_full": ("Shelters full most often", "ศูนย์พักพิงที่เต็มบ่อยที่สุด"),
    "ens_scenarios_pct": ("Scenarios in which it is full (%)", "สถานการณ์ที่ศูนย์พักพิงเต็ม (%)"),
    "edge": ("edge", "ช่วงถนน"),
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


# --------------------------------------------------------------------------- #
# values: codes and the few English phrases the analyses write into their tables
# --------------------------------------------------------------------------- #

#: Value labels that differ from the column label of the same key: the status
#: ``assigned`` is not the column ``assigned`` (people assigned).  value -> (English, Thai)
_VALUE_LABELS: dict[str, tuple[str, str]] = {
    "assigned": ("assigned", "จัดที่พักแล้ว"),
    "beyond_max_time": ("beyond the time limit", "เกินเวลาที่กำหนด"),
    "overflow": ("no place in time", "ไม่มีที่พักภายในเวลา"),
    "unreachable": ("unreachable", "เข้าถึงไม่ได้"),
}

_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")

#: English phrases written by the analyses (shelter exclusion, overflow and closure reasons,
#: isochrone bands) and their Thai form; named groups are translated in turn when they are codes.
_THAI_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), th) for p, th in (
    (r"^inside hazard (?P<name>.+)$", "อยู่ในพื้นที่ภัย {name}"),
    (r"^not safe for (?P<kind>.+)$", "ไม่ปลอดภัยสำหรับ{kind}"),
    (r"^no capacity$", "ไม่มีความจุ"),
    (r"^farther than (?P<m>[\d.,]+) m from a road$", "อยู่ห่างจากถนนเกิน {m} เมตร"),
    (r"^no shelter capacity within (?P<n>[\d.]+) min$", "ไม่มีที่ว่างในศูนย์พักพิงภายใน {n} นาที"),
    (r"^no shelter within (?P<n>[\d.]+) min$", "ไม่มีศูนย์พักพิงภายใน {n} นาที"),
    (r"^nearest shelter over (?P<n>[\d.]+) min$", "ศูนย์พักพิงที่ใกล้ที่สุดใช้เวลาเกิน {n} นาที"),
    (r"^shelters with room within (?P<n>[\d.]+) min are not among the (?P<k>\d+) nearest \(raise k_nearest\)$",
     "ศูนย์พักพิงที่ยังว่างภายใน {n} นาทีไม่อยู่ใน {k} แห่งที่ใกล้ที่สุด (เพิ่มค่า k_nearest)"),
    (r"^(?P<name>.+): severity (?P<sev>\w+)$", "{name}: ระดับความรุนแรง{sev}"),
    (r"^(?P<name>.+): inside footprint$", "{name}: อยู่ในพื้นที่ภัย"),
    (r"^(?P<name>.+): depth (?P<d>[\d.]+) m > (?P<thr>[\d.]+) m$", "{name}: น้ำลึก {d} ม. (เกิน {thr} ม.)"),
    (r"^(?P<lo>[\d.]+)\s*[–-]\s*(?P<hi>[\d.]+) min$", "{lo}–{hi} นาที"),
))


def t_value(value: object, lang: str = "en") -> object:
    """Label for a value shown in a map or chart: a code such as ``isolated_by_hazard``.

    Codes known to :func:`t` (lower-case ``snake_case`` keys) get their label;
    comma-separated lists of codes (``"flood,storm"``) and ``"; "``-joined
    reasons are translated part by part; in Thai, the few English phrases the
    analyses write (``"not safe for flood"``, ``"0–5 min"``) are translated
    too.  Anything else (names, numbers, ids) comes back unchanged.

    Parameters
    ----------
    value : object
        The value; non-strings are returned as they are.
    lang : {"en", "th"}
        Language of the label.

    Returns
    -------
    object
        The label, or ``value`` unchanged.

    Examples
    --------
    >>> t_value("isolated_by_hazard", "th")
    'ถูกตัดขาดจากภัย'
    >>> t_value("flood,storm", "en")
    'Flood, Storm'
    >>> t_value("not safe for flood", "th")
    'ไม่ปลอดภัยสำหรับน้ำท่วม'
    >>> t_value("Ban Tak Bai", "th")
    'Ban Tak Bai'
    """
    index = _lang_index(lang)
    if not isinstance(value, str) or not value:
        return value
    if value in _VALUE_LABELS:
        return _VALUE_LABELS[value][index]
    if _CODE_RE.match(value):
        entry = _LABELS.get(value)
        return entry[index] if entry is not None else value
    if "; " in value:
        return "; ".join(str(t_value(part, lang)) for part in value.split("; "))
    if "," in value:
        parts = [p.strip() for p in value.split(",")]
        if all(p in _VALUE_LABELS or (_CODE_RE.match(p) and p in _LABELS) for p in parts):
            return ", ".join(str(t_value(p, lang)) for p in parts)
    if lang == "th":
        for pattern, template in _THAI_PATTERNS:
            m = pattern.match(value)
            if m:
                return template.format(**{k: t_value(v, lang) for k, v in m.groupdict().items()})
    return value
