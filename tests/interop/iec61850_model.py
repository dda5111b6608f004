"""The EV logical device of the Table 5 flow as the MMS interop tests serve it: as our model (data), as SCL (for
open61850), and the variable names GetNameList lists for it. libiec61850's driver builds the same model in code."""

from __future__ import annotations

from vgitest.iec61850 import data
from vgitest.iec61850.mms_peer import Attribute

SOC = "EV1/DEEV1$MX$Soc$mag$f"  # read-only (FC MX)
TARGET = "EV1/DEEV1$SP$WChaTgt$setMag$f"  # writable (FC SP)
MODE = "EV1/LLN0$ST$Mod$stVal"  # read-only (FC ST)
MODEL = [Attribute(SOC, data.float32(55.0), read_only=True), Attribute(TARGET, data.float32(7000.0)),
         Attribute(MODE, data.integer(1), read_only=True)]
VARIABLES = ["DEEV1", "DEEV1$MX", "DEEV1$MX$Soc", "DEEV1$MX$Soc$mag", "DEEV1$MX$Soc$mag$f", "DEEV1$SP",
             "DEEV1$SP$WChaTgt", "DEEV1$SP$WChaTgt$setMag", "DEEV1$SP$WChaTgt$setMag$f", "LLN0", "LLN0$ST",
             "LLN0$ST$Mod", "LLN0$ST$Mod$stVal"]
SCL = """<?xml version="1.0" encoding="UTF-8"?>
<SCL xmlns="http://www.iec.ch/61850/2003/SCL" version="2007" revision="B">
 <IED name="EV">
  <AccessPoint name="AP1"><Server><Authentication/>
   <LDevice inst="1">
    <LN0 lnClass="LLN0" inst="" lnType="LLN0_T"/>
    <LN lnClass="DEEV" inst="1" prefix="" lnType="DEEV_T"/>
   </LDevice></Server></AccessPoint>
 </IED>
 <DataTypeTemplates>
  <LNodeType id="LLN0_T" lnClass="LLN0"><DO name="Mod" type="INS_T"/></LNodeType>
  <LNodeType id="DEEV_T" lnClass="DEEV"><DO name="Soc" type="MV_T"/><DO name="WChaTgt" type="ASG_T"/></LNodeType>
  <DOType id="INS_T" cdc="INS"><DA name="stVal" bType="INT32" fc="ST"><Val>1</Val></DA></DOType>
  <DOType id="MV_T" cdc="MV"><DA name="mag" bType="Struct" type="AV_T" fc="MX"/></DOType>
  <DOType id="ASG_T" cdc="ASG"><DA name="setMag" bType="Struct" type="AV_T" fc="SP"/></DOType>
  <DAType id="AV_T"><BDA name="f" bType="FLOAT32"/></DAType>
 </DataTypeTemplates>
</SCL>
"""
